// Runs one program the way a runtime runs a CNI plugin and reports what it
// cost: "<wall_us> <peak_rss_kib> <cpu_us> <exit_status>" on stdout.
// stdin is passed through to the child; the child's stdout/stderr go to
// /dev/null (the exit status says whether the call worked).
//
// Why a helper: a child's ru_maxrss includes the RSS its parent had at fork
// time (the kernel folds the pre-exec mm's high-water mark in at execve), so
// measuring from python would charge python's ~10 MB to both plugins. This
// helper is static and allocates nothing, so its share is a few hundred KiB,
// the same for both plugins.
//   g++ -O2 -static -o spawn_rss spawn_rss.cpp
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: spawn_rss program [args...] < stdin\n");
    return 2;
  }
  timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t pid = fork();
  if (pid < 0) return 2;
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execv(argv[1], argv + 1);
    _exit(127);
  }
  int st = 0;
  rusage ru{};
  if (wait4(pid, &st, 0, &ru) < 0) return 2;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long wall_us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
  long cpu_us = ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1000000L + ru.ru_stime.tv_usec;
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  printf("%ld %ld %ld %d\n", wall_us, ru.ru_maxrss, cpu_us, code);
  return 0;
}
