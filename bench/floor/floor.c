/*
 * The floor of a QD1 iSCSI write over loopback on this machine (issue 6): a server that does nothing but
 * read a 48-byte header + 4 KiB and answer 48 bytes, and a client that sends the next request as soon as
 * the answer arrives. The server prints its CPU time per operation (getrusage), the client operations
 * per second. No target can spend less per command at QD1 than this server, or turn commands around
 * faster than this pair. Run by bench/floor/floor.sh.
 *   floor server PORT            (one connection, until the client closes)
 *   floor client PORT SECONDS
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static int readn(int fd, char *b, int n){int d=0;while(d<n){int r=read(fd,b+d,n-d);if(r<=0)return -1;d+=r;}return d;}
int main(int argc,char**argv){
  int port=atoi(argv[2]); char buf[48+4096]; memset(buf,7,sizeof buf);
  struct sockaddr_in a={.sin_family=AF_INET,.sin_port=htons(port)}; inet_pton(AF_INET,"127.0.0.1",&a.sin_addr);
  int one=1;
  if(!strcmp(argv[1],"server")){
    int l=socket(AF_INET,SOCK_STREAM,0); setsockopt(l,SOL_SOCKET,SO_REUSEADDR,&one,sizeof one);
    bind(l,(void*)&a,sizeof a); listen(l,1); int c=accept(l,0,0); setsockopt(c,IPPROTO_TCP,TCP_NODELAY,&one,sizeof one);
    struct rusage r0,r1; getrusage(RUSAGE_SELF,&r0); long ops=0;
    while(readn(c,buf,sizeof buf)>0){ if(write(c,buf,48)!=48)break; ops++; }
    getrusage(RUSAGE_SELF,&r1);
    double u=(r1.ru_utime.tv_sec-r0.ru_utime.tv_sec)+(r1.ru_utime.tv_usec-r0.ru_utime.tv_usec)*1e-6;
    double s=(r1.ru_stime.tv_sec-r0.ru_stime.tv_sec)+(r1.ru_stime.tv_usec-r0.ru_stime.tv_usec)*1e-6;
    printf("server: %ld ops, CPU %.2f us/op (user %.2f, sys %.2f)\n",ops,(u+s)*1e6/ops,u*1e6/ops,s*1e6/ops);
  } else {
    int secs=atoi(argv[3]); int c=socket(AF_INET,SOCK_STREAM,0); connect(c,(void*)&a,sizeof a);
    setsockopt(c,IPPROTO_TCP,TCP_NODELAY,&one,sizeof one);
    double t0=now(); long ops=0; while(now()-t0<secs){ write(c,buf,sizeof buf); readn(c,buf,48); ops++; }
    printf("client: %.0f ops/s\n",ops/(now()-t0)); close(c);
  }
  return 0;
}
