// Runs the vtlab binary as a child process with a time bound: a run that
// hangs is killed and reported as timed out instead of hanging the test.
#pragma once
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>

namespace cli_e2e {

struct Result {
  int status = -1;         // exit status, or 128 + signal
  std::string output;      // stdout and stderr together
  bool timed_out = false;  // killed after the time bound
};

struct Child {
  pid_t pid = -1;
  int out = -1;       // read end of the child's stdout+stderr
  std::string early;  // output read by wait_for()
};

// `args` go through /bin/sh (so tests can write "run x >/dev/full"); stdout
// and stderr both go to the pipe unless `args` redirect them.
// `exec` makes the shell become vtlab, so pid is vtlab's for kill().
inline Child start_vtlab(const std::string& args) {
  std::string cmd = "exec " + std::string(VTLAB_BINARY) + " " + args;
  int fds[2];
  if (::pipe(fds) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  return {pid, fds[0]};
}

// Reads the child's output until it contains `text` (true) or `seconds`
// pass or the output ends (false).
inline bool wait_for(Child& c, const std::string& text, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  char buf[4096];
  while (c.early.find(text) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{c.out, POLLIN, 0};
    if (::poll(&p, 1, int(left.count())) <= 0) continue;
    ssize_t n = ::read(c.out, buf, sizeof buf);
    if (n <= 0) return false;
    c.early.append(buf, std::size_t(n));
  }
  return true;
}

// Collects the output until the child exits, killing it after `seconds`.
inline Result finish(Child c, double seconds) {
  Result r;
  r.output = c.early;
  if (c.pid < 0) return r;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      ::kill(c.pid, SIGKILL);
      break;
    }
    pollfd p{c.out, POLLIN, 0};
    if (::poll(&p, 1, int(left.count())) <= 0) continue;
    ssize_t n = ::read(c.out, buf, sizeof buf);
    if (n <= 0) break;  // end of output: the child has exited (or closed it)
    r.output.append(buf, std::size_t(n));
  }
  ::close(c.out);
  int st = 0;
  ::waitpid(c.pid, &st, 0);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

inline Result run_vtlab(const std::string& args, double seconds = 20) { return finish(start_vtlab(args), seconds); }

}  // namespace cli_e2e
