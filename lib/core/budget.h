/*
 * Internal: a lane's retry budget.
 *
 * Every first attempt deposits `percent` hundredths of a retry; every retry
 * withdraws one whole retry (100 hundredths); the budget starts with
 * `min_reserve` whole retries.  Integer arithmetic, so the bound is exact:
 * over any run,
 *
 *     retries <= min_reserve + floor(percent * first_attempts / 100).
 *
 * There is no time-to-live on deposits: a long healthy run accumulates
 * credit.  Call cmx__budget_set_max to cap the stored credit (the bound
 * above still holds; it only gets tighter).
 */
#ifndef CMX_CORE_BUDGET_H
#define CMX_CORE_BUDGET_H

#include <stdint.h>

typedef struct cmx__budget {
  uint64_t balance;   /* hundredths of a retry */
  uint64_t max;       /* cap on balance in hundredths; 0 = none */
  unsigned percent;   /* hundredths deposited per first attempt */
  uint64_t deposits;  /* first attempts seen */
  uint64_t withdrawn; /* retries allowed */
  uint64_t denied;    /* retries refused */
} cmx__budget;

/* `percent` of first attempts may be retried, plus `min_reserve` retries. */
void cmx__budget_init(cmx__budget *b, unsigned percent, unsigned min_reserve);
/* Cap the stored credit at `max_retries` whole retries (0 = no cap); the
 * current balance is cut down to it. */
void cmx__budget_set_max(cmx__budget *b, unsigned max_retries);
/* Record one first attempt. */
void cmx__budget_deposit(cmx__budget *b);
/* 1 if a retry may go (and it is charged), 0 if the budget is spent. */
int cmx__budget_withdraw(cmx__budget *b);
/* Whole retries available now. */
uint64_t cmx__budget_available(const cmx__budget *b);

#endif
