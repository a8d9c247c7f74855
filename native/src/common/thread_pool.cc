// A small fork-join pool: workers sleep on a condition variable, a job is a range split into chunks
// handed out by an atomic counter; the caller works too and returns when every chunk is done.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "graft/runtime.h"

namespace graft {
namespace {

thread_local bool tls_inside_parallel = false;

int default_thread_count() {
  if (const char* env = std::getenv("GRAFT_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

class ThreadPool {
 public:
  explicit ThreadPool(int threads) { resize(threads); }
  ~ThreadPool() { stop_workers(); }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int threads) {
    stop_workers();
    stopping_ = false;
    for (int i = 1; i < std::max(1, threads); ++i) workers_.emplace_back([this] { worker_loop(); });
  }

  // Runs the job; returns false (and does nothing) if another thread is using the pool.
  bool run(int64_t begin, int64_t end, int64_t chunk, const std::function<void(int64_t, int64_t)>& fn) {
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock()) return false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      fn_ = &fn;
      begin_ = begin;
      end_ = end;
      chunk_ = chunk;
      next_.store(begin);
      chunks_left_ = (end - begin + chunk - 1) / chunk;
      error_ = nullptr;
      ++generation_;
    }
    wake_.notify_all();
    work();
    std::unique_lock<std::mutex> lock(mutex_);
    // Also wait for every worker to leave work(): one still inside could otherwise take a chunk of the
    // next job from next_ with this job's chunk size and function (miscounted chunks hang run()).
    done_.wait(lock, [this] { return chunks_left_ == 0 && active_ == 0; });
    fn_ = nullptr;
    if (error_) std::rethrow_exception(error_);
    return true;
  }

 private:
  void work() {
    tls_inside_parallel = true;
    for (;;) {
      int64_t lo = next_.fetch_add(chunk_);
      if (lo >= end_) break;
      int64_t hi = std::min(end_, lo + chunk_);
      try {
        (*fn_)(lo, hi);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mutex_);
      if (--chunks_left_ == 0) done_.notify_all();
    }
    tls_inside_parallel = false;
  }

  void worker_loop() {
    uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || (generation_ != seen && fn_ != nullptr); });
        if (stopping_) return;
        seen = generation_;
        ++active_;
      }
      work();
      std::lock_guard<std::mutex> lock(mutex_);
      if (--active_ == 0) done_.notify_all();
    }
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  std::vector<std::thread> workers_;
  std::mutex busy_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t begin_ = 0, end_ = 0, chunk_ = 1, chunks_left_ = 0;
  int active_ = 0;  // workers inside work() for the current job
  std::atomic<int64_t> next_{0};
  uint64_t generation_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
};

ThreadPool& pool() {
  static ThreadPool instance(default_thread_count());
  return instance;
}

}  // namespace

int num_threads() { return pool().size(); }

void set_num_threads(int threads) {
  if (threads < 1) throw Error("set_num_threads: threads must be >= 1, got " + std::to_string(threads));
  if (threads != pool().size()) pool().resize(threads);
}

void parallel_for(int64_t begin, int64_t end, int64_t grain,
                  const std::function<void(int64_t, int64_t)>& fn) {
  if (end <= begin) return;
  grain = std::max<int64_t>(1, grain);
  const int64_t n = end - begin;
  const int threads = num_threads();
  if (tls_inside_parallel || threads == 1 || n <= grain) {
    fn(begin, end);
    return;
  }
  // About four chunks per thread balances uneven chunks without much hand-out traffic.
  int64_t chunk = std::max(grain, (n + 4 * threads - 1) / (4 * threads));
  if (!pool().run(begin, end, chunk, fn)) fn(begin, end);
}

}  // namespace graft
