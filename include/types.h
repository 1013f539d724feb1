/*
 * types -- the value types and vocabularies of HLX/1 (protocol.md §2.1, §2.3).
 *
 * Pure: no I/O, no allocation, no exit.  Both the JSON side (record) and the
 * XML side (message) check values here, so that a value the record accepts is
 * exactly a value the schema and a partner accept.
 *
 * The type_check_*() functions return NULL when the value is valid, or a
 * static string that says what is wrong ("longer than 2048 characters"),
 * ready to follow a JSON path or an element name in an error line.  They never
 * quote the value: the caller decides how much of it may be echoed.
 */
#ifndef HLX_TYPES_H
#define HLX_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The vocabularies; each C enum below follows its table's order. */
enum type_vocab {
	VOCAB_RESTRICTION,
	VOCAB_SOURCE,
	VOCAB_SITE_TYPE,
	VOCAB_SEVERITY,
	VOCAB_MEDIA_TYPE,
	VOCAB_INTL_VERDICT,
	VOCAB_NATIONAL_VERDICT,
	VOCAB_INDUSTRY_CLASS,
	VOCAB_EXPECTATION,
	VOCAB_STATE,
	VOCAB_OBSERVED_BY,
	VOCAB_RECEIPT_STATUS,
	VOCAB_HASH_ALG,
	VOCAB_BODY,
	VOCAB_COUNT
};

enum restriction { RESTRICTION_RED, RESTRICTION_AMBER_STRICT,
	RESTRICTION_AMBER, RESTRICTION_GREEN, RESTRICTION_CLEAR };
enum source { SOURCE_PUBLIC_REPORT, SOURCE_PROACTIVE, SOURCE_HASH_MATCH,
	SOURCE_PARTNER };
enum site_type { SITE_WEBSITE, SITE_IMAGE_HOST, SITE_FILE_HOST, SITE_FORUM,
	SITE_IMAGE_STORE, SITE_BANNER_SITE, SITE_LINK_SITE,
	SITE_SOCIAL_NETWORK, SITE_BLOG, SITE_SEARCH_PROVIDER, SITE_REDIRECTOR,
	SITE_WEB_ARCHIVE, SITE_OTHER };
enum severity { SEVERITY_LOW, SEVERITY_MEDIUM, SEVERITY_HIGH,
	SEVERITY_CRITICAL };
enum media_type { MEDIA_IMAGE, MEDIA_VIDEO, MEDIA_ARCHIVE, MEDIA_TEXT,
	MEDIA_OTHER };
enum intl_verdict { INTL_BASELINE, INTL_NOT_BASELINE, INTL_NOT_ASSESSED };
enum national_verdict { NATIONAL_ILLEGAL, NATIONAL_NOT_ILLEGAL,
	NATIONAL_NOT_ASSESSED };
enum industry_class { INDUSTRY_A1, INDUSTRY_A2, INDUSTRY_B1, INDUSTRY_B2 };
enum expectation { EXPECT_ASSESS_AND_TAKEDOWN, EXPECT_INFORM_ONLY };
enum case_state { STATE_RECEIVED, STATE_UNDER_ASSESSMENT,
	STATE_FORWARDED_TO_LEA, STATE_NOTICE_SENT_TO_HOST,
	STATE_CONTENT_REMOVED, STATE_CONTENT_ONLINE, STATE_NOT_ILLEGAL_HERE,
	STATE_CLOSED };
enum observed_by { OBSERVED_ANALYST, OBSERVED_CRAWLER,
	OBSERVED_HOST_CONFIRMATION, OBSERVED_LEA };
enum receipt_status { RECEIPT_ACCEPTED, RECEIPT_DUPLICATE };
/* Also the order in which hashes are written (protocol.md §2.3). */
enum hash_alg { HASH_SHA256, HASH_SHA1, HASH_MD5, HASH_PDQ, HASH_PHOTODNA };
enum body_type { BODY_REFERRAL, BODY_ASSESSMENT, BODY_STATUS_UPDATE,
	BODY_WITHDRAW, BODY_REROUTE, BODY_RECEIPT, BODY_ERROR,
	BODY_CAPABILITIES };

/* The value's index in the vocabulary, or -1 when it is not in it. */
int		 type_vocab_parse(enum type_vocab, const char *);
/* The name of index i; NULL when i is out of range. */
const char	*type_vocab_name(enum type_vocab, int);
/* "low, medium, high, critical": for error messages. */
const char	*type_vocab_list(enum type_vocab);
size_t		 type_vocab_count(enum type_vocab);

const char	*type_check_uuid(const char *);
const char	*type_check_timestamp(const char *);
const char	*type_check_hotline_id(const char *);
const char	*type_check_case_number(const char *);
const char	*type_check_country(const char *);
const char	*type_check_url(const char *);
const char	*type_check_ip(const char *);
const char	*type_check_text(const char *);
const char	*type_check_token(const char *);
/* Expected length of a hash of alg, and whether s is one. */
size_t		 type_hash_length(enum hash_alg);
const char	*type_check_hash(enum hash_alg, const char *);

/*
 * Validates UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF, no
 * NUL) over len bytes; on success stores the number of code points.  Returns
 * -1 and the offset of the first bad byte otherwise.
 */
int		 type_utf8_count(const char *, size_t len, size_t *codepoints,
		    size_t *bad_offset);

/* Timestamp text -> seconds since the epoch (fraction dropped). */
int		 type_timestamp_parse(const char *, time_t *);
/* Seconds -> "YYYY-MM-DDTHH:MM:SSZ"; buf must hold HLX_TIMESTAMP_MAX+1. */
int		 type_timestamp_format(time_t, char *buf, size_t bufsz);
/* An IP address in the form the gateway writes: RFC 5952 for IPv6. */
int		 type_ip_normalize(const char *, char *buf, size_t bufsz);

#endif /* HLX_TYPES_H */
