/* What a process start costs here, measured rather than assumed (#16).
 *
 *   startup_cost count BINARY [ARGS...]   single-steps BINARY (its stdout to
 *                                         /dev/null) and counts the
 *                                         instructions and CPUIDs it executes
 *   startup_cost time A B                 spawns A and B (2000 each,
 *                                         interleaved) and prints the medians
 *
 * bench/startup_cost.sh builds it with two references: a static glibc
 * `int main(void){return 0;}` and a static binary with no C library at all
 * (exit syscall at _start). Their difference is static glibc's start-up; the
 * CPUID count times the trap cost (the sh prints it) is its share that the
 * hypervisor takes. */
#define _GNU_SOURCE
#include <cpuid.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int count(char** argv) {
  pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stdout); /* the count is ours to print */
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    execv(argv[0], argv);
    _exit(127);
  }
  int st;
  long steps = 0, cpuids = 0;
  waitpid(pid, &st, 0);
  while (!WIFEXITED(st) && !WIFSIGNALED(st)) {
    struct user_regs_struct r;
    ptrace(PTRACE_GETREGS, pid, 0, &r);
    long w = ptrace(PTRACE_PEEKTEXT, pid, r.rip, 0);
    if ((w & 0xffff) == 0xa20f) cpuids++; /* 0f a2: cpuid */
    if (ptrace(PTRACE_SINGLESTEP, pid, 0, 0) < 0) break;
    waitpid(pid, &st, 0);
    steps++;
  }
  printf("%s: %ld instructions, %ld CPUID\n", argv[0], steps, cpuids);
  return 0;
}

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static double once(const char* path) {
  char* av[] = {(char*)path, NULL};
  pid_t pid;
  int st;
  double t0 = now_us();
  if (posix_spawn(&pid, path, NULL, NULL, av, environ) != 0) exit(1);
  waitpid(pid, &st, 0);
  return now_us() - t0;
}

static int timing(const char* a, const char* b) {
  enum { N = 2000 };
  static double ta[N], tb[N];
  for (int i = 0; i < N; ++i) {
    ta[i] = once(a);
    tb[i] = once(b);
  }
  qsort(ta, N, sizeof *ta, cmp);
  qsort(tb, N, sizeof *tb, cmp);
  unsigned x, y, z, w;
  double t0 = now_us();
  for (int i = 0; i < 10000; ++i) __cpuid_count(4, i & 3, x, y, z, w);
  double per = (now_us() - t0) / 10000;
  printf("spawn..wait p50: %s %.1f us, %s %.1f us, difference %.1f us; one CPUID %.2f us\n", a, ta[N / 2], b,
         tb[N / 2], ta[N / 2] - tb[N / 2], per);
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 3 && strcmp(argv[1], "count") == 0) return count(argv + 2);
  if (argc == 4 && strcmp(argv[1], "time") == 0) return timing(argv[2], argv[3]);
  fprintf(stderr, "usage: startup_cost count BINARY [ARGS...] | time A B\n");
  return 2;
}
