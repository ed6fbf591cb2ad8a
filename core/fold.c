// SPDX-License-Identifier: GPL-2.0
/*
 * Folding epochs into the store (see fold.h): the lock, the flip of the
 * generation word, the grace period, chunked reads of the old epoch's
 * maps, reader liveness, and clearing the old hash.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fold.h"
#include "pin.h"
#include "store.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524	/* kernel-internal, but bpf() returns it */
#endif

#define STRIDE(type) ((sizeof(type) + 7) & ~(size_t)7)
#define MAX_FLOW_CHUNK 65536	/* a hash bucket never holds more */
#define PREFETCH_AHEAD 8	/* flows between a hint and its use */

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ---- locks ---- */

int fold_lock(struct instance *inst, bool exclusive)
{
	while (flock(inst->lock_fd, exclusive ? LOCK_EX : LOCK_SH))
		if (errno != EINTR)
			return -errno;
	return 0;
}

void fold_unlock(struct instance *inst)
{
	flock(inst->lock_fd, LOCK_UN);
}

/* ---- the grace period ---- */

/*
 * An update of a map-in-map returns when every BPF program that could
 * see the old value has finished: a synchronize_rcu() that userspace can
 * call. The maps are this process's own, made once.
 */
int fold_grace_period(void)
{
	static int outer = -1, inner = -1;
	__u32 zero = 0;

	if (outer < 0) {
		LIBBPF_OPTS(bpf_map_create_opts, opts);

		inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "flowstat_gp",
				       sizeof(__u32), sizeof(__u32), 1, NULL);
		if (inner < 0)
			return -errno;
		opts.inner_map_fd = inner;
		outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS,
				       "flowstat_sync", sizeof(__u32),
				       sizeof(__u32), 1, &opts);
		if (outer < 0) {
			int err = -errno;

			close(inner);
			inner = -1;
			return err;
		}
	}
	if (bpf_map_update_elem(outer, &zero, &inner, BPF_ANY))
		return -errno;
	return 0;
}

/* ---- readers ---- */

static int reader_dir(const struct instance *inst, int slot, char *buf,
		      size_t len)
{
	int n = snprintf(buf, len, "%s/" PIN_READERS "/%d", inst->dir, slot);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Open (making it if needed) and lock a reader's folder. */
static int reader_lock(const struct instance *inst, int slot, bool make,
		       int *fd)
{
	char path[PATH_MAX];
	int err = reader_dir(inst, slot, path, sizeof(path));

	if (err)
		return err;
	if (make) {
		char parent[PATH_MAX];

		err = pin_path(inst->dir, PIN_READERS, parent, sizeof(parent));
		if (err)
			return err;
		if (mkdir(parent, 0700) && errno != EEXIST)
			return -errno;
		if (mkdir(path, 0700) && errno != EEXIST)
			return -errno;
	}
	*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	if (flock(*fd, LOCK_EX | LOCK_NB)) {
		err = -errno;
		close(*fd);
		*fd = -1;
		return err;
	}
	return 0;
}

/* Is the reader in slot alive? A dead one's slot is freed here. */
static bool reader_alive(struct instance *inst, int slot)
{
	struct store_reader *r = &inst->st.hdr->readers[slot];
	char path[PATH_MAX];
	int fd, err;

	if (slot == inst->reader_slot)
		return true;
	err = reader_lock(inst, slot, false, &fd);
	if (err == -EWOULDBLOCK)
		return true;
	__atomic_store_n(&r->used, 0, __ATOMIC_RELEASE);
	if (!err) {
		if (!reader_dir(inst, slot, path, sizeof(path)))
			rmdir(path);
		close(fd);
	}
	return false;
}

/* The oldest fold a live registered reader has read; ~0 with none. */
static __u64 min_ack(struct instance *inst)
{
	struct store_header *h = inst->st.hdr;
	__u64 m = ~0ULL;
	int i;

	for (i = 0; i < STORE_READERS; i++) {
		__u64 acked;

		if (!h->readers[i].used || !reader_alive(inst, i))
			continue;
		acked = __atomic_load_n(&h->readers[i].acked,
					__ATOMIC_ACQUIRE);
		m = acked < m ? acked : m;
	}
	return m;
}

int fold_register(struct instance *inst)
{
	struct store_header *h = inst->st.hdr;
	int i, fd = -1, err;

	if (inst->reader_slot >= 0)
		return 0;
	err = fold_lock(inst, true);
	if (err)
		return err;
	err = -ENOSPC;
	for (i = 0; i < STORE_READERS; i++) {
		if (h->readers[i].used && reader_alive(inst, i))
			continue;
		err = reader_lock(inst, i, true, &fd);
		if (err == -EWOULDBLOCK)
			continue;	/* still dying: its lock is held */
		if (err)
			break;
		h->readers[i].acked = h->committed;
		h->readers[i].pid = (__u32)getpid();
		__atomic_store_n(&h->readers[i].used, 1, __ATOMIC_RELEASE);
		inst->reader_slot = i;
		inst->reader_fd = fd;
		break;
	}
	fold_unlock(inst);
	return err;
}

void fold_ack(struct instance *inst, __u64 seq)
{
	if (inst->reader_slot < 0)
		return;
	__atomic_store_n(&inst->st.hdr->readers[inst->reader_slot].acked, seq,
			 __ATOMIC_RELEASE);
}

/* ---- reading an epoch ---- */

struct fold_buf {
	int ncpus;
	struct flow_key *keys;
	void *values;		/* flow_chunk rows of ncpus values */
	size_t flow_chunk;
	__u32 *slot_keys;
	void *slots;		/* cache_chunk rows of ncpus slots */
	__u32 cache_chunk;
	void *totals;		/* ncpus totals */
	__u32 rate;		/* the sampling rate of the epoch folded */
	__u64 rows;		/* flows in its hash */
	__u64 untracked;	/* frames it left without an entry */
};

static size_t flow_row(int ncpus)
{
	return sizeof(struct flow_key) + STRIDE(struct flow_value) * ncpus;
}

static size_t cache_row(int ncpus)
{
	return 4 + STRIDE(struct flow_slot) * ncpus;
}

static size_t rows_in(size_t bytes, size_t row, size_t min)
{
	return bytes / row > min ? bytes / row : min;
}

size_t fold_buffer_bytes(int ncpus)
{
	return rows_in(FOLD_FLOW_BYTES, flow_row(ncpus), FOLD_FLOW_MIN) *
	       flow_row(ncpus) +
	       rows_in(FOLD_CACHE_BYTES, cache_row(ncpus), FOLD_CACHE_MIN) *
	       cache_row(ncpus) +
	       STRIDE(struct flow_totals) * ncpus;
}

static int buf_grow_flows(struct fold_buf *b, size_t chunk)
{
	void *k = realloc(b->keys, chunk * sizeof(*b->keys));
	void *v;

	if (!k)
		return -ENOMEM;
	b->keys = k;
	v = realloc(b->values, chunk * STRIDE(struct flow_value) * b->ncpus);
	if (!v)
		return -ENOMEM;
	b->values = v;
	b->flow_chunk = chunk;
	return 0;
}

static int buf_init(struct fold_buf *b)
{
	memset(b, 0, sizeof(*b));
	b->ncpus = libbpf_num_possible_cpus();
	if (b->ncpus <= 0)
		return b->ncpus ? b->ncpus : -EINVAL;
	b->cache_chunk = rows_in(FOLD_CACHE_BYTES, cache_row(b->ncpus),
				 FOLD_CACHE_MIN);
	b->slot_keys = calloc(b->cache_chunk, sizeof(*b->slot_keys));
	b->slots = calloc(b->cache_chunk, STRIDE(struct flow_slot) * b->ncpus);
	b->totals = calloc(b->ncpus, STRIDE(struct flow_totals));
	if (!b->slot_keys || !b->slots || !b->totals)
		return -ENOMEM;
	return buf_grow_flows(b, rows_in(FOLD_FLOW_BYTES, flow_row(b->ncpus),
					  FOLD_FLOW_MIN));
}

static void buf_free(struct fold_buf *b)
{
	free(b->keys);
	free(b->values);
	free(b->slot_keys);
	free(b->slots);
	free(b->totals);
}

/* Row i of a batch read's values (ncpus each): the per-CPU sums. */
static void sum_flow(int ncpus, const void *values, size_t i,
		     struct store_flow *f)
{
	const size_t stride = STRIDE(struct flow_value);
	const char *row = (const char *)values + i * stride * ncpus;
	int cpu;

	memset(f, 0, sizeof(*f));
	for (cpu = 0; cpu < ncpus; cpu++) {
		const struct flow_value *v = (const void *)(row + cpu * stride);

		f->packets += v->packets;
		f->bytes += v->bytes;
		f->ip_bytes += v->ip_bytes;
		if (v->first_seen &&
		    (!f->first_seen || v->first_seen < f->first_seen))
			f->first_seen = v->first_seen;
		if (v->last_seen > f->last_seen)
			f->last_seen = v->last_seen;
		f->tcp_flags |= v->tcp_flags;
	}
}

/*
 * Add n rows of a batch read to the store, with hints a few rows ahead
 * so that the chunk waits for memory once, not per flow.
 */
static void add_rows(struct store *st, __u64 s, const struct flow_key *keys,
		     const void *values, struct fold_buf *b, size_t n)
{
	int ncpus = b->ncpus;
	struct store_flow f;
	size_t i;

	for (i = 0; i < n; i++) {
		if (i + 2 * PREFETCH_AHEAD < n)
			store_prefetch(st, &keys[i + 2 * PREFETCH_AHEAD], 0);
		if (i + PREFETCH_AHEAD < n)
			store_prefetch(st, &keys[i + PREFETCH_AHEAD], 1);
		sum_flow(ncpus, values, i, &f);
		f.rate = b->rate;
		b->rows++;
		if (f.packets)
			store_add(st, s, &keys[i], &f);
	}
}

/*
 * Every entry of a quiet hash, a chunk at a time: fn per entry, or, with
 * del, each chunk deleted as it is read (clearing).
 */
static int walk_flows(struct fold_buf *b, int fd, bool del,
		      struct store *st, __u64 s)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u64 batch[8];		/* the hash's cursor: a bucket number */
	bool first = true;
	int err;

	for (;;) {
		__u32 count = b->flow_chunk;

		if (del)
			err = bpf_map_lookup_and_delete_batch(fd,
				first ? NULL : batch, batch, b->keys,
				b->values, &count, &opts);
		else
			err = bpf_map_lookup_batch(fd, first ? NULL : batch,
				batch, b->keys, b->values, &count, &opts);
		if (err && err != -ENOENT) {
			if (err == -ENOSPC && !count &&
			    b->flow_chunk < MAX_FLOW_CHUNK) {
				/* one bucket holds more than a chunk */
				err = buf_grow_flows(b, b->flow_chunk * 2);
				if (err)
					return err;
				continue;
			}
			return err;
		}
		if (!del)
			add_rows(st, s, b->keys, b->values, b, count);
		if (err == -ENOENT)
			return 0;
		first = false;
	}
}

/* ---- the journal: one pass that reads and clears ---- */

unsigned int fold_journal_rows;

/* Rows of the journal: keys first, then every row's per-CPU values. */
struct journal {
	struct flow_key *keys;
	void *values;
	__u32 rows;
};

/* A key's padding is zero in the data plane's maps: this marks no row. */
#define JOURNAL_MARK 0xff

static void journal_of(const struct store *st, int ncpus, struct journal *j)
{
	__u32 fit = STORE_JOURNAL_BYTES / flow_row(ncpus);

	j->keys = store_journal(st);
	j->values = j->keys + fit;
	j->rows = fold_journal_rows && fold_journal_rows < fit ?
		  fold_journal_rows : fit;
}

/* Mark every row empty, then hand the journal to fold s. */
static void journal_arm(struct store *st, const struct journal *j, __u64 s)
{
	__u32 i;

	for (i = 0; i < j->rows; i++)
		memset(j->keys[i].pad, JOURNAL_MARK, sizeof(j->keys[i].pad));
	__atomic_store_n(&st->hdr->journal_seq, s, __ATOMIC_RELEASE);
}

/* The rows the kernel wrote: those before the first still marked. */
static __u32 journal_rows(const struct journal *j)
{
	__u32 n = 0;

	while (n < j->rows && j->keys[n].pad[0] != JOURNAL_MARK)
		n++;
	return n;
}

/*
 * Every entry of the handed-over hash fd, read and deleted a chunk at a
 * time straight into the store's journal (one pass where a read and a
 * clear took two), each chunk committed as a part of the fold before
 * the next is taken: a folder that dies leaves at most one chunk out of
 * the hash and uncommitted, and the next fold adds it from the journal.
 * The last chunk waits for the fold's own commit; *s is the fold's
 * sequence number now. 0: the hash is empty; 1: a bucket holds more
 * than the journal (the rest is to be read the other way).
 */
static int journal_walk(struct fold_buf *b, int fd, struct store *st,
			__u64 *s)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u64 batch[8];		/* the hash's cursor: a bucket number */
	bool first = true;
	struct journal j;
	__u32 count;
	int err;

	journal_of(st, b->ncpus, &j);
	if (!j.rows)
		return 1;	/* a row is more than the journal (CPUs) */
	if (st->hdr->journal_seq > st->hdr->committed) {
		/* a dead folder's chunk: out of the hash, not committed */
		add_rows(st, *s, j.keys, j.values, b, journal_rows(&j));
		store_commit_part(st, *s);
		*s = store_begin(st, st->min_ack);
	}
	for (;;) {
		journal_arm(st, &j, *s);
		count = j.rows;
		err = bpf_map_lookup_and_delete_batch(fd, first ? NULL : batch,
						      batch, j.keys, j.values,
						      &count, &opts);
		/* what the kernel wrote left the hash: add it (the marks
		 * tell, as after a crash, when it failed half way) */
		add_rows(st, *s, j.keys, j.values, b,
			 !err || err == -ENOENT ? count : journal_rows(&j));
		if (err == -ENOENT)
			return 0;
		if (err)
			return err == -ENOSPC ? 1 : err;
		if (!count)
			return 1;	/* no progress: the other way */
		store_commit_part(st, *s);
		*s = store_begin(st, st->min_ack);
		first = false;
	}
}

/* The pending counts of the cache slots that generation gen holds. */
static int walk_cache(struct fold_buf *b, int fd, __u32 n_slots, __u64 gen,
		      struct store *st, __u64 s)
{
	const size_t stride = STRIDE(struct flow_slot);
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 batch = 0, count, i;
	bool first = true;
	int cpu, err;

	for (;;) {
		count = b->cache_chunk;
		err = bpf_map_lookup_batch(fd, first ? NULL : &batch, &batch,
					   b->slot_keys, b->slots, &count,
					   &opts);
		if (err && err != -ENOENT)
			return err;
		for (i = 0; i < count; i++)
			for (cpu = 0; cpu < b->ncpus; cpu++) {
				const struct flow_slot *sl = (const void *)
					((const char *)b->slots +
					 (i * b->ncpus + cpu) * stride);
				struct store_flow f = {
					.packets = sl->packets,
					.bytes = sl->bytes,
					.ip_bytes = sl->ip_bytes,
					.last_seen = sl->last_seen,
					.tcp_flags = sl->tcp_flags,
					.rate = b->rate,
				};

				if (sl->gen == gen && sl->packets)
					store_add(st, s, &sl->key, &f);
			}
		if (err == -ENOENT || batch >= n_slots)
			return 0;
		first = false;
	}
}

static int fold_totals(struct fold_buf *b, int fd, __u64 gen,
		       struct store *st, __u64 s)
{
	const size_t stride = STRIDE(struct flow_totals);
	struct store_hver *hw = store_hwrite(st, s);
	__u32 d;
	int cpu;

	for (d = 0; d < FLOW_DIR_MAX; d++) {
		struct store_counts *c = &hw->dir[d];

		if (bpf_map_lookup_elem(fd, &d, b->totals))
			return -errno;
		for (cpu = 0; cpu < b->ncpus; cpu++) {
			const struct flow_totals *t = (const void *)
				((const char *)b->totals + cpu * stride);

			if (t->gen != gen)
				continue;
			c->packets += t->packets;
			c->bytes += t->bytes;
			c->untracked_packets += t->untracked_packets;
			c->untracked_bytes += t->untracked_bytes;
			c->sampled_out_packets += t->sampled_out_packets;
			c->sampled_out_bytes += t->sampled_out_bytes;
			c->unmatched_packets += t->unmatched_packets;
			c->unmatched_bytes += t->unmatched_bytes;
			c->fast_hits += t->fast_hits;
			b->untracked += t->untracked_packets;
		}
	}
	return 0;
}

/* ---- sampling ---- */

/*
 * The next epoch's rate, set before the flip makes it current: the
 * epoch's maps were folded and no program can be writing them.
 */
static void sample_flip(struct flowstat_ctl *ctl, __u64 next_gen)
{
	__u32 rate = __atomic_load_n(&ctl->sample_next, __ATOMIC_ACQUIRE);

	__atomic_store_n(&ctl->sample[next_gen & 1], rate ? rate : 1,
			 __ATOMIC_RELEASE);
}

/*
 * --sample auto: the rate of the epoch after next, from the epoch just
 * folded at rate r with n flows in its hash and some frames untracked.
 * The table is under pressure when frames went untracked or half of it
 * is taken: the rate goes up a step. Sampling stops (a step down at a
 * time) only when the flows seen, scaled back by the rate, would fill
 * less than a quarter of it: the gap between the two keeps the rate
 * from swinging back and forth.
 */
__u32 fold_sample_auto(__u32 r, __u64 n, __u64 untracked, __u32 max_flows)
{
	r = r > 1 ? r : 1;
	if (untracked || n >= max_flows / 2)
		return r * SAMPLE_AUTO_STEP <= SAMPLE_AUTO_MAX ?
		       r * SAMPLE_AUTO_STEP : SAMPLE_AUTO_MAX;
	if (n * r < max_flows / 4)
		return r / SAMPLE_AUTO_STEP > 1 ? r / SAMPLE_AUTO_STEP : 1;
	return r;
}

static void sample_auto(struct instance *inst, const struct fold_buf *b)
{
	struct flowstat_ctl *ctl = inst->ctl;

	if (!inst->meta.sampling || !ctl->sample_auto)
		return;
	__atomic_store_n(&ctl->sample_next,
			 fold_sample_auto(b->rate, b->rows, b->untracked,
					  inst->meta.max_flows),
			 __ATOMIC_RELEASE);
}

/* ---- one instance ---- */

/*
 * Before the grace period: finish a dead folder's clearing, then hand
 * the current epoch over (or find the one a dead folder handed over).
 */
static int prepare(struct fold_buf *b, struct instance *inst, __u64 s)
{
	struct store_header *h = inst->st.hdr;
	__u64 gen;
	int err;

	if (h->pending_gen && h->committed >= h->pending_seq) {
		/* folded and committed, but not cleared: clear it now */
		err = walk_flows(b, inst->flows_fd[h->pending_gen & 1], true,
				 &inst->st, s);
		if (err)
			return err;
		__atomic_store_n(&h->pending_gen, 0, __ATOMIC_RELEASE);
	}
	gen = __atomic_load_n(&inst->ctl->gen, __ATOMIC_ACQUIRE);
	/* folded once the fold that reads all of it commits (fold_epoch) */
	h->pending_seq = ~0ULL;
	if (!h->pending_gen)
		__atomic_store_n(&h->pending_gen, gen, __ATOMIC_RELEASE);
	if (gen == h->pending_gen) {
		/* the flip itself (or a dead folder's, not yet made) */
		if (inst->meta.sampling)
			sample_flip(inst->ctl, gen + 1);
		__atomic_store_n(&inst->ctl->gen, gen + 1, __ATOMIC_SEQ_CST);
		h->gen = gen + 1;
	}
	store_hwrite(&inst->st, s)->last_fold_ns = mono_ns();
	return 0;
}

/* After the grace period: the old epoch is ours. */
#define TCP_FIN_RST 0x05	/* FIN 0x01, RST 0x04 */

/* Flows last seen at or before this are idle for idle_ns. */
static __u64 idle_cutoff(__u64 idle_ns)
{
	__u64 now = mono_ns();

	return idle_ns > now ? 0 : now - idle_ns;
}

static int fold_epoch(struct fold_buf *b, struct instance *inst, __u64 s,
		      const struct fold_opts *o, struct fold_result *r)
{
	struct store *st = &inst->st;
	__u64 gen = st->hdr->pending_gen, cutoff;
	int e = gen & 1, fd = inst->flows_fd[e], err, rest;

	b->rate = inst->meta.sampling ?
		  __atomic_load_n(&inst->ctl->sample[e], __ATOMIC_ACQUIRE) : 1;
	b->rate = b->rate > 1 ? b->rate : 1;
	b->rows = b->untracked = 0;
	rest = err = journal_walk(b, fd, st, &s);
	if (rest == 1)
		err = walk_flows(b, fd, false, st, s);
	if (!err)
		err = walk_cache(b, inst->cache_fd[e], inst->meta.cache_slots,
				 gen, st, s);
	if (!err)
		err = fold_totals(b, inst->totals_fd[e], gen, st, s);
	if (err)
		return err;
	if (o && o->age && !o->end_all && o->fin_ns && o->fin_ns < o->idle_ns)
		r->ended = store_end_if(st, s, idle_cutoff(o->fin_ns),
					TCP_FIN_RST, END_FIN, r->packets,
					r->bytes);
	if (o && (o->age || o->end_all)) {
		cutoff = o->end_all ? ~0ULL : idle_cutoff(o->idle_ns);
		r->ended += store_end(st, s, cutoff,
				      o->end_all ? END_FORCED : END_IDLE,
				      r->packets, r->bytes);
	}
	store_reclaim(st, s);
	store_hwrite(st, s)->sample_rate = b->rate;
	sample_auto(inst, b);
	st->hdr->pending_seq = s;
	store_commit(st, s);
	r->seq = s;
	/* committed: what a bucket too big for the journal left, cleared */
	err = rest ? walk_flows(b, fd, true, st, s) : 0;
	if (!err)
		__atomic_store_n(&st->hdr->pending_gen, 0, __ATOMIC_RELEASE);
	return err;
}

static int by_dir(const void *a, const void *b)
{
	return strcmp((*(struct instance *const *)a)->dir,
		      (*(struct instance *const *)b)->dir);
}

int fold_instances(struct instance **insts, int n, const struct fold_opts *o,
		   struct fold_result *res)
{
	struct instance **order = calloc(n ? n : 1, sizeof(*order));
	__u64 *seq = calloc(n ? n : 1, sizeof(*seq));
	int *locked = calloc(n ? n : 1, sizeof(*locked));
	struct fold_result scratch = { 0 };
	struct fold_buf b;
	int i, j, err = 0, e;

	if (!order || !seq || !locked) {
		err = -ENOMEM;
		goto out;
	}
	err = buf_init(&b);
	if (err)
		goto out_buf;
	if (res)
		memset(res, 0, n * sizeof(*res));
	/* one lock order for every process: the folder paths */
	memcpy(order, insts, n * sizeof(*order));
	qsort(order, n, sizeof(*order), by_dir);
	for (i = 0; i < n && !err; i++) {
		err = fold_lock(order[i], true);
		if (err)
			break;
		locked[i] = 1;
		seq[i] = store_begin(&order[i]->st, min_ack(order[i]));
		err = prepare(&b, order[i], seq[i]);
	}
	if (!err)
		err = fold_grace_period();
	for (i = 0; i < n; i++) {
		if (!locked[i])
			continue;
		if (!err) {
			for (j = 0; j < n && insts[j] != order[i]; j++)
				;
			e = fold_epoch(&b, order[i], seq[i], o,
				       res ? &res[j] : &scratch);
			err = err ? err : e;
		}
		fold_unlock(order[i]);
	}
out_buf:
	buf_free(&b);
out:
	free(order);
	free(seq);
	free(locked);
	return err;
}

int fold_instance(struct instance *inst, const struct fold_opts *o,
		  struct fold_result *res)
{
	return fold_instances(&inst, 1, o, res);
}
