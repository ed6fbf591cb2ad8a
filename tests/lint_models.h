/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What clang's static analyzer cannot see for itself, told to it for
 * `make lint` (included with -include; the real build never reads it).
 *
 * bpftool's generated skeletons free their calloc'ed skeleton on error
 * through libbpf's bpf_object__destroy_skeleton(), whose body the
 * analyzer does not have: every skeleton header reported "Potential
 * leak of memory pointed to by 's'". This model frees what the real
 * function frees of the caller's memory.
 */
#ifndef FLOWSTAT_LINT_MODELS_H
#define FLOWSTAT_LINT_MODELS_H
#ifdef __clang_analyzer__
#include <stdlib.h>
#include <bpf/libbpf.h>

static inline void lint_destroy_skeleton(struct bpf_object_skeleton *s)
{
	if (!s)
		return;
	free(s->maps);
	free(s->progs);
	free(s);
}
#define bpf_object__destroy_skeleton lint_destroy_skeleton
#endif
#endif
