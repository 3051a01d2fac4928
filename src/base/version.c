/*
 * version.c — the library's version at run time: RECUR_VERSION as this
 * library was compiled, for comparing with the header a program was
 * compiled with.
 */
#include "recur.h"

const char *recur_version(void) { return RECUR_VERSION; }
