/* The method handlers the dispatcher (dispatch.c) routes to, besides those of
 * lifecycle.h and console.h. */
#ifndef VIREO_DAEMON_DISPATCH_H
#define VIREO_DAEMON_DISPATCH_H

#include "daemon/domain.h"

/* define.c */
void method_define(struct call *call);
void method_create(struct call *call);
void method_undefine(struct domain *dom, struct call *call);
void method_autostart(struct domain *dom, struct call *call);

#endif
