/*
 * ceiling.c
 *	  The throughput ceiling of a process model on this machine: a server
 *	  that does no work at all (every RESP request, whatever it is, gets
 *	  the reply "$3\r\nbar\r\n") in one of two shapes:
 *
 *	    ceiling PORT fork       a process per connection, blocking read and
 *	                            write: tusk's shape (DESIGN.md section 1)
 *	    ceiling PORT epoll N    N processes, each an epoll loop over the
 *	                            connections the kernel gives its own
 *	                            SO_REUSEPORT listening socket: Redis's shape
 *	                            (N = 1) or a multiplexed one
 *
 *	  tools/bench/ceiling runs redis-benchmark against these, tusk and
 *	  redis-server side by side. Loopback only; it stops on SIGTERM.
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define REPLY "$3\r\nbar\r\n"
#define REPLY_LEN 9

static char inbuf[65536];
static char outbuf[65536 / 4 * REPLY_LEN];

/*
 * One reply per request in buf: requests are counted by their '*'. A PING
 * (how tools/bench waits for a server to start) gets +PONG.
 */
static int
answer(int fd, int n)
{
	int			len = 0;

	if (memmem(inbuf, (size_t) n, "PING", 4) || memmem(inbuf, (size_t) n, "ping", 4))
		return write(fd, "+PONG\r\n", 7) == 7;

	for (int i = 0; i < n; i++)
		if (inbuf[i] == '*')
		{
			memcpy(outbuf + len, REPLY, REPLY_LEN);
			len += REPLY_LEN;
		}
	return len == 0 || write(fd, outbuf, (size_t) len) == len;
}

static int
listen_on(int port)
{
	struct sockaddr_in a = {0};
	int			one = 1,
				fd = socket(AF_INET, SOCK_STREAM, 0);

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short) port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *) &a, sizeof(a)) != 0 || listen(fd, 511) != 0)
	{
		perror("ceiling: bind/listen");
		exit(1);
	}
	return fd;
}

static void
serve_fork(int port)
{
	int			ls = listen_on(port),
				one = 1;

	signal(SIGCHLD, SIG_IGN);
	for (;;)
	{
		int			fd = accept(ls, NULL, NULL);

		if (fd < 0)
			continue;
		if (fork() == 0)
		{
			close(ls);
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			for (;;)
			{
				int			n = (int) read(fd, inbuf, sizeof(inbuf));

				if (n <= 0 || !answer(fd, n))
					_exit(0);
			}
		}
		close(fd);
	}
}

static void
serve_epoll(int port)
{
	int			ls = listen_on(port),
				ep = epoll_create1(0),
				one = 1;
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
	struct epoll_event evs[256];

	epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
	for (;;)
	{
		int			n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++)
		{
			int			fd = evs[i].data.fd;

			if (fd == ls)
			{
				int			c = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
				struct epoll_event e = {.events = EPOLLIN};

				if (c < 0)
					continue;
				setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				e.data.fd = c;
				epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);
				continue;
			}
			{
				int			r = (int) read(fd, inbuf, sizeof(inbuf));

				if (r <= 0 || !answer(fd, r))
					close(fd);
			}
		}
	}
}

int
main(int argc, char **argv)
{
	int			port,
				nproc = 1;

	if (argc < 3 || (strcmp(argv[2], "fork") != 0 && strcmp(argv[2], "epoll") != 0))
	{
		fprintf(stderr, "usage: ceiling PORT fork|epoll [N]\n");
		return 2;
	}
	port = atoi(argv[1]);
	if (strcmp(argv[2], "fork") == 0)
		serve_fork(port);
	if (argc > 3)
		nproc = atoi(argv[3]);
	/* every process opens its own SO_REUSEPORT socket; the kernel spreads connections */
	for (int p = 1; p < nproc; p++)
		if (fork() == 0)
			break;
	serve_epoll(port);
	return 0;
}
