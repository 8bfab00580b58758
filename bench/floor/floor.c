/*
 * The floor of a QD1 iSCSI write over loopback on this machine (issue 6): a server that does nothing but
 * read a 48-byte header + 4 KiB and answer 48 bytes, and a client that sends the next request as soon as
 * the answer arrives. The server prints its CPU time per operation (getrusage, all its threads), the
 * client operations per second. Run by bench/floor/floor.sh.
 *   floor server PORT            (one connection, until the client closes)
 *   floor handoff PORT           (same, in tgtd's shape: see below)
 *   floor client PORT SECONDS
 *
 * `server` answers from the thread that read the request: no target can spend less per command at
 * QD1. `handoff` is tgtd's shape with no work in it: the reading thread hands each request to a second
 * thread (mutex + condition variable, as tgtd's backing-store threads), that thread signals completion
 * through an eventfd, and the reading thread answers. It costs more CPU, yet when a vCPU halts as soon
 * as it is idle (no guest halt polling) it turns requests around faster than `server` (see
 * bench/README.md), which is how tgtd beats the plain floor in that state.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static int readn(int fd, char *b, int n){int d=0;while(d<n){int r=read(fd,b+d,n-d);if(r<=0)return -1;d+=r;}return d;}

/* The worker of `handoff`: waits for a request, then reports it done on the eventfd. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int pending, done_fd;
static void *worker(void *unused) {
  (void)unused;
  for (;;) {
    pthread_mutex_lock(&lock);
    while (!pending) pthread_cond_wait(&wake, &lock);
    pending = 0;
    pthread_mutex_unlock(&lock);
    uint64_t one = 1;
    if (write(done_fd, &one, sizeof one) != sizeof one) { perror("eventfd write"); exit(1); }
  }
}
static void hand_off(void) {
  pthread_mutex_lock(&lock);
  pending = 1;
  pthread_cond_signal(&wake);
  pthread_mutex_unlock(&lock);
  uint64_t count;
  if (read(done_fd, &count, sizeof count) != sizeof count) exit(1);
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: floor server|handoff PORT | floor client PORT SECONDS\n"); return 2; }
  int port=atoi(argv[2]); char buf[48+4096]; memset(buf,7,sizeof buf);
  struct sockaddr_in a={.sin_family=AF_INET,.sin_port=htons(port)}; inet_pton(AF_INET,"127.0.0.1",&a.sin_addr);
  int one=1;
  int handoff = !strcmp(argv[1], "handoff");
  if (handoff || !strcmp(argv[1], "server")) {
    if (handoff) {
      pthread_t t;
      done_fd = eventfd(0, 0);
      if (done_fd < 0 || pthread_create(&t, NULL, worker, NULL) != 0) { perror("handoff setup"); return 1; }
    }
    int l=socket(AF_INET,SOCK_STREAM,0); setsockopt(l,SOL_SOCKET,SO_REUSEADDR,&one,sizeof one);
    if (bind(l,(void*)&a,sizeof a) || listen(l,1)) { perror("bind"); return 1; }
    int c=accept(l,0,0); setsockopt(c,IPPROTO_TCP,TCP_NODELAY,&one,sizeof one);
    struct rusage r0,r1; getrusage(RUSAGE_SELF,&r0); long ops=0;
    while(readn(c,buf,sizeof buf)>0){ if(handoff)hand_off(); if(write(c,buf,48)!=48)break; ops++; }
    getrusage(RUSAGE_SELF,&r1);
    double u=(r1.ru_utime.tv_sec-r0.ru_utime.tv_sec)+(r1.ru_utime.tv_usec-r0.ru_utime.tv_usec)*1e-6;
    double s=(r1.ru_stime.tv_sec-r0.ru_stime.tv_sec)+(r1.ru_stime.tv_usec-r0.ru_stime.tv_usec)*1e-6;
    printf("%s: %ld ops, CPU %.2f us/op (user %.2f, sys %.2f)\n",argv[1],ops,(u+s)*1e6/ops,u*1e6/ops,s*1e6/ops);
    fflush(stdout);
    _exit(0); /* the worker never returns */
  } else {
    if (argc < 4) { fprintf(stderr, "usage: floor client PORT SECONDS\n"); return 2; }
    int secs=atoi(argv[3]); int c=socket(AF_INET,SOCK_STREAM,0);
    if (connect(c,(void*)&a,sizeof a)) { perror("connect"); return 1; }
    setsockopt(c,IPPROTO_TCP,TCP_NODELAY,&one,sizeof one);
    double t0=now(); long ops=0;
    while(now()-t0<secs){ if(write(c,buf,sizeof buf)!=(ssize_t)sizeof buf || readn(c,buf,48)<0) break; ops++; }
    printf("client: %.0f ops/s\n",ops/(now()-t0)); close(c);
  }
  return 0;
}
