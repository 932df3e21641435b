// SPDX-License-Identifier: GPL-2.0
/* Secret files: the one good form, and each way a file is refused with an
 * error that names it (owner, mode, kind, content, missing). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/keyfile.h"

#define HEX "000102030405060708090a0b0c0d0e0F"

static char dir[] = "/tmp/xlb-keyfile-XXXXXX";
static char path[64];

/* A file at path with this content and mode, owned by uid. */
static void put(const char *content, mode_t mode, uid_t uid)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
	assert_int_equal(chown(path, uid, 0), 0);
}

static int setup(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("not root: the owner checks need it\n");
		return -1;
	}
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/hash.key", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

/* Reads path; expects ret, and an error holding want (and the path). */
static void expect(int ret, const char *want)
{
	__u8 key[16];
	char err[256] = "";
	int got = keyfile_read(path, key, sizeof(key), err, sizeof(err));

	if (got != ret || (want && (!strstr(err, want) ||
				    !strstr(err, path))))
		print_error("got %d '%s', want %d '%s'\n", got, err, ret,
			    want ? want : "");
	assert_int_equal(got, ret);
	if (!ret) {
		for (int i = 0; i < 16; i++)
			assert_int_equal(key[i], i);
	} else {
		for (int i = 0; i < 16; i++)	/* nothing half read kept */
			assert_int_equal(key[i], 0);
	}
}

static void test_good(void **state)
{
	(void)state;
	put(HEX "\n", 0600, 0);
	expect(0, NULL);
	put("  " HEX "\n\n", 0400, 0);
	expect(0, NULL);
}

static void test_mode(void **state)
{
	(void)state;
	put(HEX "\n", 0644, 0);
	expect(-EPERM, "mode 0644 lets group or others at the secret");
	put(HEX "\n", 0640, 0);
	expect(-EPERM, "chmod 600");
	put(HEX "\n", 0602, 0);
	expect(-EPERM, "mode 0602");
}

static void test_owner(void **state)
{
	(void)state;
	put(HEX "\n", 0600, 65534);
	expect(-EPERM, "owned by uid 65534, must be root's");
}

static void test_content(void **state)
{
	(void)state;
	put("000102030405060708090a0b0c0d0e\n", 0600, 0);	/* 15 bytes */
	expect(-EINVAL, "must hold 32 hex digits");
	put(HEX "10\n", 0600, 0);				/* 17 bytes */
	expect(-EINVAL, "openssl rand -hex 16");
	put("0x" HEX "\n", 0600, 0);
	expect(-EINVAL, "must hold 32 hex digits");
	put("00010203 04050607 08090a0b 0c0d0e0f\n", 0600, 0);
	expect(-EINVAL, "must hold 32 hex digits");
	put("", 0600, 0);
	expect(-EINVAL, "must hold 32 hex digits");
}

static void test_not_a_file(void **state)
{
	(void)state;
	unlink(path);
	expect(-ENOENT, "No such file");
	assert_int_equal(mkdir(path, 0700), 0);
	expect(-EPERM, "not a regular file");
	rmdir(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_mode),
		cmocka_unit_test(test_owner),
		cmocka_unit_test(test_content),
		cmocka_unit_test(test_not_a_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
