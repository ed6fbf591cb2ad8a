// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF/userspace ABI (common/flowstat.h), checked at build time: the
 * sizes the BPF programs and userspace must agree on, and the key's
 * layout that flow_hash() and flow_key_eq() read as six u64 words.
 */
#include <stddef.h>
#include "flowstat.h"

_Static_assert(sizeof(struct flow_key) == 48, "flow_key: six u64 words");
_Static_assert(offsetof(struct flow_key, ethertype) == 32, "flow_key layout");
_Static_assert(sizeof(struct flow_value) == 48, "flow_value size");
_Static_assert(sizeof(struct flow_value) % 8 == 0, "per-CPU value stride");
_Static_assert(sizeof(struct flow_slot) % 8 == 0, "flow_slot stride");
_Static_assert(sizeof(struct flow_totals) % 8 == 0, "flow_totals stride");
_Static_assert(sizeof(struct flowstat_ctl) % 8 == 0, "flowstat_ctl size");
_Static_assert(sizeof(struct sig_bucket) == 168, "sig_bucket size");
_Static_assert(sizeof(struct match_rule) == 40, "match_rule size");
_Static_assert(sizeof(struct match_set) % 8 == 0, "match_set stride");
_Static_assert((MATCH_MAX_RULES & (MATCH_MAX_RULES - 1)) == 0,
	       "MATCH_MAX_RULES: a power of two");
