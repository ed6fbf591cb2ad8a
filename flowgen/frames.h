/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The frame builder: turns one flow of a flow_spec into the exact bytes
 * that go on the wire (Ethernet header included, no FCS).
 */
#ifndef FLOWGEN_FRAMES_H
#define FLOWGEN_FRAMES_H

#include <linux/types.h>

#include "spec.h"

/* Writes flow->size bytes into frame (which holds SPEC_MAX_SIZE). */
void frame_build(const struct flow_spec *flow, __u8 *frame);

#endif
