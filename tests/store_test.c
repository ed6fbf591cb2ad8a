// SPDX-License-Identifier: GPL-2.0
/*
 * The cumulative store (core/store.h) against a model: random folds of
 * new and returning flows, aging, readers that hold ended flows, a full
 * table; and a folder killed at every write it makes, each time followed
 * by a recovery and the same fold again, which must leave the store
 * exactly as if nothing had happened.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "store.h"
#include "testlib.h"

#define MODEL_MAX 4096

/* What the store should hold: per flow id, its live incarnation. */
struct model {
	__u64 packets[MODEL_MAX], bytes[MODEL_MAX], last[MODEL_MAX];
	int live[MODEL_MAX];
	__u64 total_packets[FLOW_DIR_MAX], total_bytes[FLOW_DIR_MAX];
	__u64 retired_packets[FLOW_DIR_MAX], untracked_packets[FLOW_DIR_MAX];
};

static struct flow_key key_of(int id)
{
	struct flow_key k = { 0 };

	k.ethertype = 0x0800;
	k.proto = 17;
	k.flags = FLOW_F_L4 | FLOW_F_PORTS;
	k.src[0] = 192;
	k.src[1] = 0;
	k.src[2] = 2;
	k.src[3] = (__u8)(id >> 8);
	k.sport = (__u16)id;
	k.dport = 53;
	k.dir = id & 1;
	return k;
}

static int id_of(const struct flow_key *k)
{
	return (k->src[3] << 8) | k->sport;
}

static void *store_mem(__u32 max_flows, size_t *size, bool shared)
{
	void *mem;

	*size = store_bytes(max_flows);
	mem = mmap(NULL, *size, PROT_READ | PROT_WRITE,
		   (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
	return mem == MAP_FAILED ? NULL : mem;
}

/* Every LIVE record, the header's counts: what readers see. */
static void check_model(const struct store *st, const struct model *m,
			const char *when)
{
	const struct store_hver *hv = store_head(st);
	static __u64 seen_packets[MODEL_MAX];
	int seen[MODEL_MAX] = { 0 };
	__u64 live = 0, sum[FLOW_DIR_MAX] = { 0 };
	__u32 i;
	int d, id;

	for (i = 0; i < st->hdr->n_records; i++) {
		const struct store_rver *v = store_valid(st, i);

		if (v->state != REC_LIVE)
			continue;
		id = id_of(&st->recs[i].key);
		CHECK(id < MODEL_MAX && !seen[id], "%s: flow %d twice", when,
		      id);
		if (id >= MODEL_MAX)
			continue;
		seen[id] = 1;
		seen_packets[id] = v->packets;
		sum[st->recs[i].key.dir] += v->packets;
		live++;
	}
	for (id = 0; id < MODEL_MAX; id++) {
		if (!m->live[id]) {
			CHECK(!seen[id], "%s: flow %d should have ended", when,
			      id);
			continue;
		}
		CHECK(seen[id] && seen_packets[id] == m->packets[id],
		      "%s: flow %d has %llu packets, not %llu", when, id,
		      seen[id] ? (unsigned long long)seen_packets[id] : 0ULL,
		      (unsigned long long)m->packets[id]);
	}
	CHECK_EQ(hv->live, live);
	for (d = 0; d < FLOW_DIR_MAX; d++) {
		const struct store_counts *c = &hv->dir[d];

		CHECK_EQ(c->packets, m->total_packets[d]);
		CHECK_EQ(c->retired_packets, m->retired_packets[d]);
		CHECK_EQ(c->untracked_packets, m->untracked_packets[d]);
		/* the invariant, as every reader checks it */
		CHECK_EQ(c->packets, sum[d] + c->untracked_packets +
				     c->retired_packets);
	}
}

/* One fold's input: flows with counts, then an age cutoff. */
struct fold_in {
	int n;
	int ids[64];
	__u64 packets[64];
	__u64 now;		/* last_seen of every flow counted */
	__u64 cutoff;		/* end flows last seen at or before; 0 none */
	__u64 min_ack;
};

static void make_fold(struct fold_in *f, unsigned *seed, int n_ids,
		      __u64 now)
{
	int i;

	f->n = 1 + rand_r(seed) % 40;
	for (i = 0; i < f->n; i++) {
		f->ids[i] = rand_r(seed) % n_ids;
		f->packets[i] = 1 + rand_r(seed) % 1000;
	}
	f->now = now;
	f->cutoff = rand_r(seed) % 3 == 0 ? now - 3 : 0;
	f->min_ack = ~0ULL;
}

/* The fold as a folder does it; returns its sequence number. */
static __u64 do_fold(struct store *st, const struct fold_in *f)
{
	__u64 s = store_begin(st, f->min_ack), packets[2] = { 0 };
	__u64 bytes[2] = { 0 };
	struct store_hver *hw = store_hwrite(st, s);
	int i;

	for (i = 0; i < f->n; i++) {
		struct flow_key k = key_of(f->ids[i]);
		struct store_flow fl = { .packets = f->packets[i],
					 .bytes = f->packets[i] * 100,
					 .first_seen = f->now,
					 .last_seen = f->now };

		hw->dir[k.dir].packets += fl.packets;
		hw->dir[k.dir].bytes += fl.bytes;
		store_add(st, s, &k, &fl);
	}
	if (f->cutoff)
		store_end(st, s, f->cutoff, END_IDLE, packets, bytes);
	store_reclaim(st, s);
	store_commit(st, s);
	return s;
}

static void model_fold(struct model *m, const struct fold_in *f,
		       __u32 max_flows)
{
	int i, id, live = 0;

	for (id = 0; id < MODEL_MAX; id++)
		live += m->live[id];
	for (i = 0; i < f->n; i++) {
		struct flow_key k = key_of(f->ids[i]);

		id = f->ids[i];
		m->total_packets[k.dir] += f->packets[i];
		if (!m->live[id] && live >= (int)max_flows) {
			m->untracked_packets[k.dir] += f->packets[i];
			continue;
		}
		if (!m->live[id]) {
			m->live[id] = 1;
			m->packets[id] = 0;
			live++;
		}
		m->packets[id] += f->packets[i];
		m->last[id] = f->now;
	}
	if (!f->cutoff)
		return;
	for (id = 0; id < MODEL_MAX; id++)
		if (m->live[id] && m->last[id] <= f->cutoff) {
			m->live[id] = 0;
			m->retired_packets[id & 1] += m->packets[id];
		}
}

static void test_model(void)
{
	struct store st;
	struct model *m = calloc(1, sizeof(*m));
	struct fold_in f;
	unsigned seed = 1;
	size_t size;
	void *mem = store_mem(2048, &size, false);
	int round;

	tl_begin("store: 2000 random folds of returning flows and aging "
		 "match a model");
	CHECK(mem && m, "memory");
	if (!mem || !m)
		goto out;
	CHECK(!store_format(mem, size, 2048), "format");
	CHECK(!store_bind(&st, mem, size), "bind");
	for (round = 0; round < 2000 && !tl_case_failed; round++) {
		char when[32];

		make_fold(&f, &seed, 300, 100 + round * 2);
		do_fold(&st, &f);
		model_fold(m, &f, 2048);
		snprintf(when, sizeof(when), "fold %d", round);
		check_model(&st, m, when);
	}
	CHECK(store_head(&st)->dir[0].ended_flows > 100, "flows ended: %llu",
	      (unsigned long long)store_head(&st)->dir[0].ended_flows);
out:
	tl_end();
	if (mem)
		munmap(mem, size);
	free(m);
}

/* A full table ends the longest-idle flows; with no record at all, the
 * counts are untracked, never lost. */
static void test_full(void)
{
	struct store st;
	struct fold_in f = { 0 };
	size_t size;
	void *mem = store_mem(64, &size, false);
	const struct store_hver *hv;
	__u64 sent = 0;
	int i, round;

	tl_begin("store: a full table evicts the longest idle, counts stay "
		 "exact");
	if (!mem || store_format(mem, size, 64) || store_bind(&st, mem, size)) {
		CHECK(0, "store");
		tl_end();
		return;
	}
	/* 1,600 new flows: more than 64 live and the 1,024 held ended */
	for (round = 0; round < 40; round++) {
		f.n = 40;
		f.now = 1000 + round;
		f.min_ack = 0;	/* a reader that never reads: nothing freed */
		for (i = 0; i < f.n; i++) {
			f.ids[i] = round * 40 + i;
			f.packets[i] = 3;
			sent += 3;
		}
		do_fold(&st, &f);
	}
	hv = store_head(&st);
	CHECK(hv->live <= 64, "live %llu", (unsigned long long)hv->live);
	CHECK(hv->evicted > 0, "evicted %llu", (unsigned long long)hv->evicted);
	CHECK(hv->dir[0].untracked_packets + hv->dir[1].untracked_packets > 0,
	      "the reserve ran out: some counts untracked");
	CHECK_EQ(hv->dir[0].packets + hv->dir[1].packets, sent);
	for (i = 0; i < FLOW_DIR_MAX; i++) {
		__u64 live = 0;
		__u32 r;

		for (r = 0; r < st.hdr->n_records; r++) {
			const struct store_rver *v = store_valid(&st, r);

			if (v->state == REC_LIVE && st.recs[r].key.dir == i)
				live += v->packets;
		}
		CHECK_EQ(hv->dir[i].packets, live +
			 hv->dir[i].untracked_packets +
			 hv->dir[i].retired_packets);
	}
	tl_end();
	munmap(mem, size);
}

/* An ended flow stays readable until every reader has acknowledged. */
static void test_readers_hold(void)
{
	struct store st;
	struct fold_in f = { .n = 1, .ids = { 7 }, .packets = { 5 },
			     .now = 10, .cutoff = 0, .min_ack = 0 };
	size_t size;
	void *mem = store_mem(16, &size, false);
	__u64 end_seq;
	__u32 r, rec = ~0u;

	tl_begin("store: an ended flow waits for every reader, then frees");
	if (!mem || store_format(mem, size, 16) || store_bind(&st, mem, size)) {
		CHECK(0, "store");
		tl_end();
		return;
	}
	do_fold(&st, &f);
	f.n = 0;
	f.cutoff = 20;
	end_seq = do_fold(&st, &f);
	for (r = 0; r < st.hdr->n_records; r++)
		if (store_valid(&st, r)->state == REC_ENDED)
			rec = r;
	CHECK(rec != ~0u, "an ENDED record");
	if (rec != ~0u) {
		CHECK_EQ(store_valid(&st, rec)->packets, 5);
		CHECK_EQ(store_valid(&st, rec)->end_seq, end_seq);
	}
	f.cutoff = 0;
	f.min_ack = end_seq - 1;	/* a reader one fold behind */
	do_fold(&st, &f);
	CHECK(rec != ~0u && store_valid(&st, rec)->state == REC_ENDED,
	      "still there for the reader");
	f.min_ack = end_seq;
	do_fold(&st, &f);
	CHECK(rec != ~0u && store_valid(&st, rec)->state == REC_FREE,
	      "freed once read");
	CHECK_EQ(store_head(&st)->dir[1].retired_packets, 5);
	tl_end();
	munmap(mem, size);
}

/*
 * A reader that never reads while flows end fast (gc --idle 0 beside a
 * stalled watch): ended flows wait for it, and once they fill the room
 * set aside for them aging waits too. Flows that come back always find
 * a record: nothing goes untracked while the live flows fit the table.
 */
static void test_slow_reader(void)
{
	struct store st;
	size_t size;
	void *mem = store_mem(4096, &size, false);
	const struct store_hver *hv;
	__u64 sent = 0, live, held;
	int round, i, d;

	tl_begin("store: a reader that never reads holds ended flows; "
		 "aging waits, no frame goes untracked");
	if (!mem || store_format(mem, size, 4096) ||
	    store_bind(&st, mem, size)) {
		CHECK(0, "store");
		tl_end();
		return;
	}
	for (round = 0; round < 40; round++) {
		__u64 s = store_begin(&st, 0);
		struct store_hver *hw = store_hwrite(&st, s);

		/* the same 3000 flows come back after every aging */
		for (i = 0; i < 3000; i++) {
			struct flow_key k = key_of(i);
			struct store_flow fl = { .packets = 2, .bytes = 200,
				.first_seen = 10 + round,
				.last_seen = 10 + round };

			hw->dir[k.dir].packets += 2;
			hw->dir[k.dir].bytes += 200;
			sent += 2;
			store_add(&st, s, &k, &fl);
		}
		store_end(&st, s, ~0ULL, END_IDLE, NULL, NULL);
		store_reclaim(&st, s);
		store_commit(&st, s);
	}
	hv = store_head(&st);
	live = hv->live;
	held = st.hdr->fifo_tail - st.hdr->fifo_head;
	CHECK(held <= st.hdr->n_records - st.hdr->max_flows,
	      "%llu ended flows held", (unsigned long long)held);
	CHECK(live > 0 && live <= 4096, "%llu live", (unsigned long long)live);
	for (d = 0; d < FLOW_DIR_MAX; d++)
		CHECK_EQ(hv->dir[d].untracked_packets, 0);
	CHECK_EQ(hv->dir[0].packets + hv->dir[1].packets, sent);
	for (i = 0, live = 0; i < (int)st.hdr->n_records; i++)
		if (store_valid(&st, i)->state == REC_LIVE)
			live += store_valid(&st, i)->packets;
	CHECK_EQ(hv->dir[0].retired_packets + hv->dir[1].retired_packets +
		 live, sent);
	tl_end();
	munmap(mem, size);
}

/*
 * Kill a folder at each of its writes in turn: the child runs fold k on
 * shared memory and dies at write w; the parent recovers and, as
 * flowstat does, folds the same epoch again unless the dead fold had
 * committed it. The result must equal the store that never crashed.
 */
static void test_crash(void)
{
	enum { FOLDS = 6 };
	struct fold_in folds[FOLDS];
	struct model *m = calloc(1, sizeof(*m));
	struct store st;
	unsigned seed = 7;
	size_t size;
	void *mem = store_mem(48, &size, true);
	int k, w, crashes = 0, status;
	unsigned long writes;

	tl_begin("store: a folder killed at every write; recovery is exact");
	if (!mem || !m) {
		free(m);
		if (mem)
			munmap(mem, size);
		CHECK(0, "memory");
		tl_end();
		return;
	}
	for (k = 0; k < FOLDS; k++) {
		make_fold(&folds[k], &seed, 40, 10 + 2 * k);
		folds[k].min_ack = k % 2 ? ~0ULL : (__u64)k;	/* readers */
	}
	for (k = 0; k < FOLDS && !tl_case_failed; k++) {
		for (w = 1; !tl_case_failed; w++) {
			pid_t pid;
			__u64 s;
			int j;
			char when[48];

			memset(mem, 0, size);
			store_format(mem, size, 48);
			store_bind(&st, mem, size);
			memset(m, 0, sizeof(*m));
			for (j = 0; j < k; j++) {
				do_fold(&st, &folds[j]);
				model_fold(m, &folds[j], 48);
			}
			s = st.hdr->committed + 1;
			pid = fork();
			if (pid == 0) {
				store_crash_countdown = w;
				do_fold(&st, &folds[k]);
				_exit(0);
			}
			waitpid(pid, &status, 0);
			writes = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
			/* the next folder: redo the epoch unless committed */
			if (st.hdr->committed < s)
				do_fold(&st, &folds[k]);
			else
				store_commit(&st, store_begin(&st, ~0ULL));
			model_fold(m, &folds[k], 48);
			snprintf(when, sizeof(when),
				 "fold %d killed at write %d", k, w);
			check_model(&st, m, when);
			if (writes == 0)
				break;	/* the fold ran to its end */
			crashes++;
		}
	}
	printf("# %d crash points recovered\n", crashes);
	CHECK(crashes > 100, "only %d crash points", crashes);
	tl_end();
	munmap(mem, size);
	free(m);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_model();
	test_full();
	test_readers_hold();
	test_slow_reader();
	test_crash();
	return tl_exit();
}
