/* SPDX-License-Identifier: GPL-2.0 */
/* A small event loop in the spirit of redis's ae: file events and timers. */
#ifndef XLB_LOOP_H
#define XLB_LOOP_H

#include <stdint.h>

struct loop;

enum { LOOP_READ = 1, LOOP_WRITE = 2 };

typedef void (*loop_fd_fn)(struct loop *loop, int fd, unsigned int events,
			   void *arg);
typedef void (*loop_timer_fn)(struct loop *loop, void *arg);

struct loop *loop_new(void);
void loop_free(struct loop *loop);

/* Watches fd for LOOP_READ and/or LOOP_WRITE; one callback per fd. */
int loop_add_fd(struct loop *loop, int fd, unsigned int events, loop_fd_fn fn,
		void *arg);
int loop_mod_fd(struct loop *loop, int fd, unsigned int events);
void loop_del_fd(struct loop *loop, int fd);

/* One-shot timer after delay_ns; returns an id for loop_del_timer (never
 * 0), or 0 when out of memory. */
uint64_t loop_add_timer(struct loop *loop, uint64_t delay_ns,
			loop_timer_fn fn, void *arg);
void loop_del_timer(struct loop *loop, uint64_t id);

/* Runs until loop_stop(); returns 0 or -errno. */
int loop_run(struct loop *loop);
void loop_stop(struct loop *loop);

/* CLOCK_MONOTONIC in nanoseconds (the same clock as bpf_ktime_get_ns). */
uint64_t loop_now_ns(void);

#endif /* XLB_LOOP_H */
