/*
 * hlxloop.c -- `hlx translate` and `hlx validate`, N times in one process,
 * for `make bench` (bench/run.sh, item 4).
 *
 *   hlxloop -c CONF translate FILE.json RECIPIENT N
 *   hlxloop -c CONF validate FILE.xml N
 *
 * The two commands take one file per process, so timing the programs
 * measures fork, exec, dynamic linking, reading the configuration and
 * compiling the XSD as much as the work itself (bench/run.sh reports that
 * figure too).  This harness links the same library objects as bin/hlx
 * and repeats, for each record, exactly the steps of cmd_translate and
 * cmd_validate in src/hlx_message.c: read the file, parse the record,
 * translate, write the canonical XML and parse it back with every check
 * (translate); read the file and parse it with every check (validate).
 * The configuration is read and the schema compiled once, as a
 * long-running caller (hlxd, or an `hlx submit -` of many records) does.
 * Output: one key=value line with records/s.  Exit 0, 64 usage, 65 when a
 * record fails (which would make the figure meaningless), 70 internal.
 *
 * SECURITY: reads the files named, writes only standard output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "file.h"
#include "hlx_limits.h"
#include "record.h"
#include "setup.h"
#include "util.h"

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
usage(void)
{
	fprintf(stderr, "usage: hlxloop -c CONF translate FILE.json "
	    "RECIPIENT N\n       hlxloop -c CONF validate FILE.xml N\n");
	return 64;
}

/* One `hlx translate FILE --recipient R`, minus the printing. */
static int
translate_one(const struct conf *c, const struct msg_schema *schema,
    const char *path, const char *recipient, size_t *outlen)
{
	struct record rec;
	struct record_err rerr;
	struct message *check = NULL;
	struct msg_err merr;
	char *buf = NULL, *xml = NULL, idbuf[40], nowbuf[32];
	size_t len, xlen;
	int rc = -1;

	memset(&rec, 0, sizeof(rec));
	if (file_read(path, HLX_RECORD_MAX_BYTES, &buf, &len) != FILE_OK) {
		fprintf(stderr, "hlxloop: %s: cannot read\n", path);
		goto out;
	}
	if (record_parse(buf, len, &rec, &rerr) == -1) {
		fprintf(stderr, "hlxloop: %s: %s\n", path, rerr.text);
		goto out;
	}
	if (strncmp(rec.case_id, c->case_prefix, strlen(c->case_prefix)) == 0)
		goto out;
	if (util_uuid4(idbuf, sizeof(idbuf)) == -1 ||
	    util_now_timestamp(nowbuf, sizeof(nowbuf)) == -1)
		goto out;
	if (record_translate(&rec, c->hotline_id, recipient, idbuf, nowbuf,
	    1) == -1 || message_write(rec.msg, &xml, &xlen, &merr) == -1)
		goto out;
	if (message_parse(schema, xml, xlen, c->max_message_bytes, &check,
	    &merr) == -1) {
		fprintf(stderr, "hlxloop: %s: %s: %s\n", path,
		    message_code_name(merr.code), merr.detail);
		goto out;
	}
	*outlen = xlen;
	rc = 0;
out:
	message_free(check);
	free(xml);
	record_free(&rec);
	free(buf);
	return rc;
}

/* One `hlx validate FILE`, minus the printing. */
static int
validate_one(const struct conf *c, const struct msg_schema *schema,
    const char *path, size_t *outlen)
{
	struct message *m = NULL;
	struct msg_err merr;
	char *buf = NULL;
	size_t len;
	int rc = -1;

	if (file_read(path, c->max_message_bytes, &buf, &len) != FILE_OK) {
		fprintf(stderr, "hlxloop: %s: cannot read\n", path);
		goto out;
	}
	if (message_parse(schema, buf, len, c->max_message_bytes, &m,
	    &merr) == -1) {
		fprintf(stderr, "hlxloop: %s: %s: %s\n", path,
		    message_code_name(merr.code), merr.detail);
		goto out;
	}
	*outlen = len;
	rc = 0;
out:
	message_free(m);
	free(buf);
	return rc;
}

int
main(int argc, char **argv)
{
	struct conf conf;
	struct msg_schema *schema = NULL;
	const char *conf_path = NULL, *cmd, *path, *recipient = NULL, *ns;
	char *end;
	unsigned long long n, i;
	size_t bytes = 0;
	double t0, secs;
	int ch, rc = 70, translate;

	memset(&conf, 0, sizeof(conf));
	while ((ch = getopt(argc, argv, "c:")) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		default:
			return usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 3)
		return usage();
	cmd = argv[0];
	path = argv[1];
	translate = strcmp(cmd, "translate") == 0;
	if (translate && argc == 4) {
		recipient = argv[2];
		ns = argv[3];
	} else if (!translate && strcmp(cmd, "validate") == 0 && argc == 3)
		ns = argv[2];
	else
		return usage();
	n = strtoull(ns, &end, 10);
	if (end == ns || *end != '\0' || ns[0] == '-' || n == 0 ||
	    n > 100000000ULL)
		return usage();

	if ((rc = setup_conf(conf_path, &conf)) != 0)
		goto out;
	if ((rc = setup_schema(&schema)) != 0)
		goto out;
	rc = 65;
	t0 = now_mono();
	for (i = 0; i < n; i++)
		if ((translate ? translate_one(&conf, schema, path, recipient,
		    &bytes) : validate_one(&conf, schema, path, &bytes)) == -1)
			goto out;
	secs = now_mono() - t0;
	printf("cmd=%s records=%llu secs=%.3f rate=%.1f us_per_record=%.1f "
	    "xml_bytes=%zu\n", cmd, n, secs, (double)n / secs,
	    secs / (double)n * 1e6, bytes);
	rc = 0;
out:
	message_schema_free(schema);
	conf_free(&conf);
	return rc;
}
