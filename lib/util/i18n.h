/* gettext glue: user-facing messages are written as _("...") and translated
 * through the "vireo" text domain (po/). N_() marks strings for extraction that
 * are translated later, e.g. in tables. */
#ifndef VIREO_UTIL_I18N_H
#define VIREO_UTIL_I18N_H

#include <libintl.h>
#include <locale.h>

#define _(s) dgettext(PACKAGE, s)
#define N_(s) (s)

/* Every main() calls this first so messages follow LANG/LC_MESSAGES.
 * VIREO_LOCALEDIR points at catalogs outside the install prefix (the tests use it
 * on the build tree). */
void i18n_init(void);

#endif
