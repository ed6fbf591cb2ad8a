// SPDX-License-Identifier: GPL-2.0
/*
 * Reverse DNS without blocking the screen (see rdns.h). One worker thread
 * calls getnameinfo(); the view only reads a small cache under a mutex.
 * The worker is never joined: a lookup can take the resolver's full
 * timeout, and quitting must not wait for it (the process exit ends it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "rdns.h"

#define RDNS_SLOTS 4096		/* cache entries, power of two */
#define RDNS_QUEUE 256		/* pending lookups; more wait for a draw */
#define RDNS_NAME 64

enum rdns_state { RDNS_EMPTY, RDNS_PENDING, RDNS_DONE, RDNS_NONE };

struct rdns_entry {
	unsigned char addr[16];
	bool v6;
	enum rdns_state state;
	char name[RDNS_NAME];
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool started;
	struct rdns_entry cache[RDNS_SLOTS];
	unsigned int queue[RDNS_QUEUE];	/* cache slots to look up */
	unsigned int head, tail;
} rdns = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
};

static unsigned int slot_of(const unsigned char *addr, bool v6)
{
	unsigned int h = v6 ? 0x9e3779b9u : 0, i;

	for (i = 0; i < (v6 ? 16u : 4u); i++)
		h = (h ^ addr[i]) * 16777619u;
	return h & (RDNS_SLOTS - 1);
}

static void lookup(unsigned char *addr, bool v6, char *name, size_t len,
		   enum rdns_state *state)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	int err;

	if (v6) {
		memcpy(&s6.sin6_addr, addr, 16);
		err = getnameinfo((struct sockaddr *)&s6, sizeof(s6), name,
				  (socklen_t)len, NULL, 0, NI_NAMEREQD);
	} else {
		memcpy(&s4.sin_addr, addr, 4);
		err = getnameinfo((struct sockaddr *)&s4, sizeof(s4), name,
				  (socklen_t)len, NULL, 0, NI_NAMEREQD);
	}
	*state = err ? RDNS_NONE : RDNS_DONE;
}

static void *worker(void *arg)
{
	unsigned char addr[16];
	char name[RDNS_NAME];
	enum rdns_state state;
	unsigned int slot;
	bool v6;

	(void)arg;
	pthread_mutex_lock(&rdns.lock);
	for (;;) {
		while (rdns.head == rdns.tail)
			pthread_cond_wait(&rdns.wake, &rdns.lock);
		slot = rdns.queue[rdns.head++ % RDNS_QUEUE];
		memcpy(addr, rdns.cache[slot].addr, sizeof(addr));
		v6 = rdns.cache[slot].v6;
		pthread_mutex_unlock(&rdns.lock);
		lookup(addr, v6, name, sizeof(name), &state);
		pthread_mutex_lock(&rdns.lock);
		/* the slot may have been taken by another address meanwhile */
		if (rdns.cache[slot].v6 == v6 &&
		    !memcmp(rdns.cache[slot].addr, addr, sizeof(addr))) {
			rdns.cache[slot].state = state;
			memcpy(rdns.cache[slot].name, name, sizeof(name));
		}
	}
	return NULL;
}

int rdns_start(void)
{
	pthread_t t;
	int err = 0;

	pthread_mutex_lock(&rdns.lock);
	if (!rdns.started) {
		err = -pthread_create(&t, NULL, worker, NULL);
		if (!err) {
			pthread_detach(t);
			rdns.started = true;
		}
	}
	pthread_mutex_unlock(&rdns.lock);
	return err;
}

/* Queue slot for the worker; a full queue leaves it for a later draw. */
static void enqueue(unsigned int slot, const unsigned char *addr, bool v6)
{
	struct rdns_entry *e = &rdns.cache[slot];

	if (rdns.tail - rdns.head >= RDNS_QUEUE)
		return;
	memset(e, 0, sizeof(*e));
	memcpy(e->addr, addr, v6 ? 16 : 4);
	e->v6 = v6;
	e->state = RDNS_PENDING;
	rdns.queue[rdns.tail++ % RDNS_QUEUE] = slot;
	pthread_cond_signal(&rdns.wake);
}

bool rdns_name(const unsigned char *addr, bool v6, char *name, size_t len)
{
	unsigned int slot = slot_of(addr, v6);
	unsigned char key[16] = {};
	struct rdns_entry *e = &rdns.cache[slot];
	bool found = false;

	memcpy(key, addr, v6 ? 16 : 4);
	pthread_mutex_lock(&rdns.lock);
	if (!rdns.started) {
		pthread_mutex_unlock(&rdns.lock);
		return false;
	}
	if (e->state != RDNS_EMPTY && e->v6 == v6 &&
	    !memcmp(e->addr, key, sizeof(key))) {
		found = e->state == RDNS_DONE;
		if (found)
			snprintf(name, len, "%s", e->name);
	} else if (e->state != RDNS_PENDING) {
		enqueue(slot, key, v6);	/* empty, or another address's */
	}
	pthread_mutex_unlock(&rdns.lock);
	return found;
}
