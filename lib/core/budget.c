/* Retry budget in hundredths of a retry. */
#include "config.h"

#include "core/budget.h"

void cmx__budget_init(cmx__budget *b, unsigned percent, unsigned min_reserve)
{
  b->balance = (uint64_t)min_reserve * 100;
  b->max = 0;
  b->percent = percent;
  b->deposits = 0;
  b->withdrawn = 0;
  b->denied = 0;
}

void cmx__budget_set_max(cmx__budget *b, unsigned max_retries)
{
  b->max = (uint64_t)max_retries * 100;
  if (b->max && b->balance > b->max)
    b->balance = b->max;
}

void cmx__budget_deposit(cmx__budget *b)
{
  b->deposits++;
  if (b->balance > UINT64_MAX - b->percent)
    b->balance = UINT64_MAX; /* saturate (never reached in practice) */
  else
    b->balance += b->percent;
  if (b->max && b->balance > b->max)
    b->balance = b->max;
}

int cmx__budget_withdraw(cmx__budget *b)
{
  if (b->balance < 100) {
    b->denied++;
    return 0;
  }
  b->balance -= 100;
  b->withdrawn++;
  return 1;
}

uint64_t cmx__budget_available(const cmx__budget *b)
{
  return b->balance / 100;
}
