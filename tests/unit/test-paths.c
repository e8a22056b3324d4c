/* Unit tests: daemon/paths (everything under --root) */
#include "tests/unit/unit.h"

#include <sys/stat.h>
#include <unistd.h>

#include "daemon/paths.h"
#include "lib/util/file.h"
#include "lib/util/mem.h"
#include "lib/util/str.h"

static void system_root_gives_system_paths(void **state)
{
	struct daemon_paths p;

	assert_int_equal(daemon_paths_init(&p, NULL, NULL), 0);
	assert_string_equal(p.root, "/");
	assert_string_equal(p.domains_dir, "/etc/vireo/domains");
	assert_string_equal(p.rw_socket, "/run/vireo/vireod.sock");
	assert_string_equal(p.ro_socket, "/run/vireo/vireod-ro.sock");
	assert_string_equal(p.log_dir, "/var/log/vireo");
	assert_string_equal(p.run_domains_dir, "/run/vireo/domains");
	daemon_paths_free(&p);
}

static void root_moves_every_path(void **state)
{
	struct daemon_paths p;
	char cwd[4096], *expect;

	assert_int_equal(daemon_paths_init(&p, "/tmp/vr/", NULL), 0);
	assert_string_equal(p.domains_dir, "/tmp/vr/etc/vireo/domains");
	assert_string_equal(p.pid_file, "/tmp/vr/run/vireo/vireod.pid");
	daemon_paths_free(&p);
	/* A relative root is resolved now, as the daemon may chdir later. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(daemon_paths_init(&p, "rel", NULL), 0);
	expect = xasprintf("%s/rel/run/vireo", cwd);
	assert_string_equal(p.run_dir, expect);
	free(expect);
	daemon_paths_free(&p);
}

static void create_makes_directories_with_modes(void **state)
{
	char *dir = make_temp_dir();
	struct daemon_paths p;
	struct stat st;

	assert_int_equal(daemon_paths_init(&p, dir, NULL), 0);
	assert_int_equal(daemon_paths_create(&p, NULL), 0);
	assert_int_equal(stat(p.domains_dir, &st), 0);
	{
		mode_t um = umask(0);

		umask(um);
		assert_int_equal(st.st_mode & 0777, 0755 & ~um);
	}
	assert_int_equal(stat(p.run_domains_dir, &st), 0);
	assert_int_equal(st.st_mode & 0077, 0);	/* runtime state is private */
	assert_int_equal(stat(p.log_dir, &st), 0);
	daemon_paths_free(&p);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(system_root_gives_system_paths),
		cmocka_unit_test(root_moves_every_path),
		cmocka_unit_test(create_makes_directories_with_modes),
	};

	return cmocka_run_group_tests_name("paths", tests, NULL, NULL);
}
