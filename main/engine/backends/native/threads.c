/*
 * Helper threads for the native kernels, used when a study has fewer runs left than cores.
 *
 * The training pool gives each worker a thread budget (a shared int it raises as other
 * workers run out of runs); a kernel splits its work into tasks whose outputs do not overlap
 * (blocks of tiles, rows, taps) and runs them on up to that many threads. Every output is still
 * computed by one thread, in the same order, with the same arithmetic: the numbers do not
 * depend on the number of threads or on which thread took which task.
 *
 * One pool per addon instance (each training worker loads its own), threads started on first
 * need and kept waiting on a condition variable between calls.
 */
#include <pthread.h>
#include <stdlib.h>
#include "kernels.h"

#define MAX_HELPERS 63

struct losslab_threads {
  pthread_mutex_t lock;
  pthread_cond_t work, done;
  pthread_t helpers[MAX_HELPERS];
  unsigned started;          /* helper threads running */
  unsigned long generation;  /* bumped for every parallel call */
  unsigned active;           /* helpers taking part in this call */
  unsigned running;          /* helpers of this call not finished yet */
  int stop;
  losslab_task_fn fn;
  void *ctx;
  size_t tasks;
  size_t next; /* next task to take (atomic) */
  const volatile int32_t *budget; /* threads allowed, caller included; NULL: one */
};

typedef struct {
  losslab_threads *pool;
  unsigned index; /* 1 .. MAX_HELPERS; the caller is 0 */
} helper_arg;

static void take_tasks(losslab_threads *pool, unsigned thread) {
  for (;;) {
    const size_t task = __atomic_fetch_add(&pool->next, 1, __ATOMIC_RELAXED);
    if (task >= pool->tasks) return;
    pool->fn(pool->ctx, task, thread);
  }
}

static void *helper_main(void *arg) {
  helper_arg *self = arg;
  losslab_threads *pool = self->pool;
  const unsigned index = self->index;
  free(self);
  unsigned long seen = 0;
  pthread_mutex_lock(&pool->lock);
  for (;;) {
    while (!pool->stop && pool->generation == seen) pthread_cond_wait(&pool->work, &pool->lock);
    if (pool->stop) break;
    seen = pool->generation;
    if (index > pool->active) continue;
    pthread_mutex_unlock(&pool->lock);
    take_tasks(pool, index);
    pthread_mutex_lock(&pool->lock);
    if (--pool->running == 0) pthread_cond_signal(&pool->done);
  }
  pthread_mutex_unlock(&pool->lock);
  return NULL;
}

losslab_threads *losslab_threads_create(void) {
  losslab_threads *pool = calloc(1, sizeof *pool);
  if (pool == NULL) return NULL;
  pthread_mutex_init(&pool->lock, NULL);
  pthread_cond_init(&pool->work, NULL);
  pthread_cond_init(&pool->done, NULL);
  return pool;
}

void losslab_threads_destroy(losslab_threads *pool) {
  if (pool == NULL) return;
  pthread_mutex_lock(&pool->lock);
  pool->stop = 1;
  pthread_cond_broadcast(&pool->work);
  pthread_mutex_unlock(&pool->lock);
  for (unsigned i = 0; i < pool->started; i++) pthread_join(pool->helpers[i], NULL);
  pthread_cond_destroy(&pool->work);
  pthread_cond_destroy(&pool->done);
  pthread_mutex_destroy(&pool->lock);
  free(pool);
}

void losslab_threads_share_budget(losslab_threads *pool, const volatile int32_t *budget) {
  if (pool != NULL) pool->budget = budget;
}

unsigned losslab_threads_allowed(const losslab_threads *pool) {
  if (pool == NULL || pool->budget == NULL) return 1;
  const int32_t b = __atomic_load_n(pool->budget, __ATOMIC_RELAXED);
  return b < 1 ? 1 : b > MAX_HELPERS + 1 ? MAX_HELPERS + 1 : (unsigned)b;
}

void losslab_parallel(losslab_threads *pool, unsigned threads, size_t tasks, losslab_task_fn fn, void *ctx) {
  if (threads > tasks) threads = (unsigned)tasks;
  if (threads > MAX_HELPERS + 1) threads = MAX_HELPERS + 1;
  if (threads <= 1 || pool == NULL) {
    for (size_t t = 0; t < tasks; t++) fn(ctx, t, 0);
    return;
  }
  pthread_mutex_lock(&pool->lock);
  while (pool->started < threads - 1) {
    helper_arg *arg = malloc(sizeof *arg);
    if (arg == NULL) break;
    arg->pool = pool;
    arg->index = pool->started + 1;
    if (pthread_create(&pool->helpers[pool->started], NULL, helper_main, arg) != 0) {
      free(arg);
      break;
    }
    pool->started++;
  }
  const unsigned helpers = threads - 1 < pool->started ? threads - 1 : pool->started;
  pool->fn = fn;
  pool->ctx = ctx;
  pool->tasks = tasks;
  pool->next = 0;
  pool->active = helpers;
  pool->running = helpers;
  pool->generation++;
  pthread_cond_broadcast(&pool->work);
  pthread_mutex_unlock(&pool->lock);
  take_tasks(pool, 0);
  pthread_mutex_lock(&pool->lock);
  while (pool->running > 0) pthread_cond_wait(&pool->done, &pool->lock);
  pthread_mutex_unlock(&pool->lock);
}
