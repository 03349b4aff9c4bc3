/*
 * Numbers as text in the C locale. A script may call os.setlocale (outside
 * the sandbox), and glibc's printf and strtod follow it: under de_DE, 1.5
 * would be written "1,5" and "1.5" read as 1. JSON and the host's messages
 * must not change with it. Why C: strtod_l and uselocale are C APIs.
 */
#define _GNU_SOURCE
#include "runtime_private.h"

#include <locale.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

static locale_t the_c_locale(void) {
  pthread_once(&c_locale_once, make_c_locale);
  return c_locale;
}

double lsh_strtod(const char *s, char **end) {
  locale_t c = the_c_locale();
  if (c == (locale_t)0) return strtod(s, end); /* newlocale failed: no better choice */
  return strtod_l(s, end, c);
}

/* glibc has no snprintf_l: switch this thread to the C locale around it. */
int lsh_format_double(char *buf, size_t size, const char *fmt, double x) {
  locale_t c = the_c_locale();
  locale_t old = c ? uselocale(c) : (locale_t)0;
  int n = snprintf(buf, size, fmt, x);
  if (old) uselocale(old);
  return n;
}
