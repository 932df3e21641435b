// SPDX-License-Identifier: GPL-2.0
/* xlb-httpd: the TCP bench's backend, a tiny single-threaded epoll HTTP
 * server answering every request with a fixed body (its name), keep-alive
 * unless the request says "Connection: close". Exits after SECONDS.
 *   xlb-httpd PORT NAME [SECONDS (default 600)] */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF 4096
#define MAX_FD 65536

static char *inbuf[MAX_FD];
static unsigned int inlen[MAX_FD];

static void drop(int ep, int fd)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	free(inbuf[fd]);
	inbuf[fd] = NULL;
	inlen[fd] = 0;
}

/* Answers every complete request in fd's buffer; false: close fd. */
static int serve(int fd, const char *ka, int kalen, const char *cl, int cllen)
{
	char *b = inbuf[fd], *end;
	int close_it = 0;

	while (!close_it && (end = memmem(b, inlen[fd], "\r\n\r\n", 4))) {
		unsigned int used = end + 4 - b;
		char save = *end;

		*end = 0;
		close_it = strcasestr(b, "\nconnection: close") != NULL;
		*end = save;
		if (write(fd, close_it ? cl : ka, close_it ? cllen : kalen) < 0)
			return 0;
		memmove(b, b + used, inlen[fd] - used);
		inlen[fd] -= used;
	}
	return !close_it;
}

int main(int argc, char **argv)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6};
	struct epoll_event ev, evs[256];
	char ka[256], cl[256];
	int ls, ep, one = 1, kalen, cllen, i, n;

	if (argc < 3)
		return fprintf(stderr,
			       "usage: xlb-httpd PORT NAME [SECONDS]\n"),
		       2;
	alarm(argc > 3 ? atoi(argv[3]) : 600);
	kalen = snprintf(ka, sizeof(ka),
			 "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s\n",
			 strlen(argv[2]) + 1, argv[2]);
	cllen = snprintf(cl, sizeof(cl),
			 "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n%s\n",
			 strlen(argv[2]) + 1, argv[2]);
	ls = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin6_port = htons(atoi(argv[1]));
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(ls, 4096)) {
		perror("xlb-httpd");
		return 1;
	}
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = ls;
	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			ssize_t r;

			if (fd == ls) {
				int c;

				while ((c = accept4(ls, NULL, NULL,
						    SOCK_NONBLOCK)) >= 0) {
					if (c >= MAX_FD) {
						close(c);
						continue;
					}
					setsockopt(c, IPPROTO_TCP, TCP_NODELAY,
						   &one, sizeof(one));
					inbuf[c] = malloc(BUF);
					inlen[c] = 0;
					ev.events = EPOLLIN;
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			r = read(fd, inbuf[fd] + inlen[fd], BUF - inlen[fd]);
			if (r <= 0 && !(r < 0 && errno == EAGAIN)) {
				drop(ep, fd);
				continue;
			}
			if (r > 0)
				inlen[fd] += r;
			if (!serve(fd, ka, kalen, cl, cllen) ||
			    inlen[fd] == BUF)
				drop(ep, fd);
		}
	}
}
