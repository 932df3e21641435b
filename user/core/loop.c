// SPDX-License-Identifier: GPL-2.0
/* Event loop: epoll for file events, a binary min-heap of timers. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "core/loop.h"

struct fd_watch {
	int fd;
	loop_fd_fn fn;
	void *arg;
	struct fd_watch *next;
};

struct timer {
	uint64_t when;
	uint64_t id;
	loop_timer_fn fn;
	void *arg;
};

#define FD_BUCKETS 256

struct loop {
	int epfd;
	bool stop;
	struct fd_watch *fds[FD_BUCKETS];
	struct timer *heap;	/* min-heap on (when, id) */
	size_t ntimers, cap;
	uint64_t next_id;
};

uint64_t loop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct loop *loop_new(void)
{
	struct loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	return loop;
}

void loop_free(struct loop *loop)
{
	if (!loop)
		return;
	for (int b = 0; b < FD_BUCKETS; b++) {
		while (loop->fds[b]) {
			struct fd_watch *w = loop->fds[b];

			loop->fds[b] = w->next;
			free(w);
		}
	}
	close(loop->epfd);
	free(loop->heap);
	free(loop);
}

static struct fd_watch **find_fd(struct loop *loop, int fd)
{
	struct fd_watch **w = &loop->fds[(unsigned int)fd % FD_BUCKETS];

	while (*w && (*w)->fd != fd)
		w = &(*w)->next;
	return w;
}

static uint32_t epoll_events(unsigned int events)
{
	return (events & LOOP_READ ? EPOLLIN : 0) |
	       (events & LOOP_WRITE ? EPOLLOUT : 0);
}

int loop_add_fd(struct loop *loop, int fd, unsigned int events, loop_fd_fn fn,
		void *arg)
{
	struct epoll_event ev = { .events = epoll_events(events),
				  .data.fd = fd };
	struct fd_watch *w;

	if (*find_fd(loop, fd))
		return -EEXIST;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		free(w);
		return -errno;
	}
	w->fd = fd;
	w->fn = fn;
	w->arg = arg;
	w->next = loop->fds[(unsigned int)fd % FD_BUCKETS];
	loop->fds[(unsigned int)fd % FD_BUCKETS] = w;
	return 0;
}

int loop_mod_fd(struct loop *loop, int fd, unsigned int events)
{
	struct epoll_event ev = { .events = epoll_events(events),
				  .data.fd = fd };

	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

void loop_del_fd(struct loop *loop, int fd)
{
	struct fd_watch **w = find_fd(loop, fd), *dead = *w;

	if (!dead)
		return;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	*w = dead->next;
	free(dead);
}

static bool earlier(const struct timer *a, const struct timer *b)
{
	return a->when < b->when || (a->when == b->when && a->id < b->id);
}

static void heap_swap(struct loop *loop, size_t i, size_t j)
{
	struct timer t = loop->heap[i];

	loop->heap[i] = loop->heap[j];
	loop->heap[j] = t;
}

static void sift_up(struct loop *loop, size_t i)
{
	while (i && earlier(&loop->heap[i], &loop->heap[(i - 1) / 2])) {
		heap_swap(loop, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void sift_down(struct loop *loop, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < loop->ntimers && earlier(&loop->heap[l], &loop->heap[m]))
			m = l;
		if (r < loop->ntimers && earlier(&loop->heap[r], &loop->heap[m]))
			m = r;
		if (m == i)
			return;
		heap_swap(loop, i, m);
		i = m;
	}
}

static void heap_remove(struct loop *loop, size_t i)
{
	loop->heap[i] = loop->heap[--loop->ntimers];
	if (i < loop->ntimers) {
		sift_down(loop, i);
		sift_up(loop, i);
	}
}

uint64_t loop_add_timer(struct loop *loop, uint64_t delay_ns,
			loop_timer_fn fn, void *arg)
{
	if (loop->ntimers == loop->cap) {
		size_t cap = loop->cap ? loop->cap * 2 : 64;
		struct timer *h = realloc(loop->heap, cap * sizeof(*h));

		if (!h)
			return 0;
		loop->heap = h;
		loop->cap = cap;
	}
	loop->heap[loop->ntimers] = (struct timer){
		.when = loop_now_ns() + delay_ns,
		.id = ++loop->next_id,
		.fn = fn,
		.arg = arg,
	};
	sift_up(loop, loop->ntimers++);
	return loop->next_id;
}

/* Linear search: cancellations are rare next to expiries. */
void loop_del_timer(struct loop *loop, uint64_t id)
{
	for (size_t i = 0; i < loop->ntimers; i++) {
		if (loop->heap[i].id == id) {
			heap_remove(loop, i);
			return;
		}
	}
}

void loop_stop(struct loop *loop)
{
	loop->stop = true;
}

static void run_due_timers(struct loop *loop)
{
	uint64_t now = loop_now_ns();

	while (loop->ntimers && loop->heap[0].when <= now && !loop->stop) {
		struct timer t = loop->heap[0];

		heap_remove(loop, 0);
		t.fn(loop, t.arg);
	}
}

int loop_run(struct loop *loop)
{
	struct epoll_event evs[64];

	loop->stop = false;
	while (!loop->stop) {
		int timeout = -1, n;

		if (loop->ntimers) {
			uint64_t now = loop_now_ns(), when = loop->heap[0].when;

			/* round up so we never wake a little too early */
			timeout = when <= now ? 0
					      : (int)((when - now + 999999) /
						      1000000);
		}
		n = epoll_wait(loop->epfd, evs, 64, timeout);
		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n && !loop->stop; i++) {
			struct fd_watch *w = *find_fd(loop, evs[i].data.fd);
			unsigned int events = 0;

			if (!w)
				continue;	/* removed by an earlier callback */
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				events |= LOOP_READ;
			if (evs[i].events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
				events |= LOOP_WRITE;
			w->fn(loop, w->fd, events, w->arg);
		}
		run_due_timers(loop);
	}
	return 0;
}
