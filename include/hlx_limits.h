/*
 * hlx_limits.h -- every limit of the HLX/1 contract as a named constant.
 *
 * One place, so that a reviewer can see every bound the gateway enforces and
 * so that each one has a test at its edge.  Values come from
 * ../shared/spec/protocol.md (wire), case-record.md (JSON side) and
 * operations.md (configuration).  Not called limits.h: that would shadow the
 * system header for every library we include.
 */
#ifndef HLX_LIMITS_H
#define HLX_LIMITS_H

/* protocol.md §2.1: types */
#define HLX_URL_MAX		2048	/* characters, ASCII only */
#define HLX_TEXT_MAX		1000	/* Unicode code points */
#define HLX_HOTLINE_ID_MAX	63	/* [a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])? */
#define HLX_CASE_NUMBER_MAX	64	/* [A-Za-z0-9._:-]{1,64} */
#define HLX_TOKEN_MAX		64	/* [A-Za-z0-9._:/-]{1,64} */
#define HLX_UUID_LEN		36
#define HLX_TIMESTAMP_MAX	27	/* 2026-11-28T10:00:00.123456Z */
#define HLX_TIMESTAMP_FRAC_MAX	6	/* fraction digits */
#define HLX_IP_TEXT_MAX		45	/* INET6_ADDRSTRLEN - 1 */
#define HLX_ERROR_CODE_MAX	64	/* [A-Z][A-Z0-9_]{0,63} */
#define HLX_VERSION_MAX		4294967295UL /* CaseRef/@version, unsignedInt */

/* protocol.md §2.1: hash lengths per algorithm */
#define HLX_HASH_SHA256_LEN	64
#define HLX_HASH_SHA1_LEN	40
#define HLX_HASH_MD5_LEN	32
#define HLX_HASH_PDQ_LEN	64
#define HLX_HASH_PHOTODNA_LEN	192
#define HLX_HASH_ALGS		5	/* at most one hash per algorithm */

/* protocol.md §2.3: cardinalities */
#define HLX_ITEMS_MAX		1000	/* Items/Item, Assessment/Item */
#define HLX_IPS_MAX		16	/* Hosting/Ip */
#define HLX_CONTENT_URLS_MAX	1000	/* StatusUpdate, Withdraw ContentUrl */
#define HLX_ASN_MAX		4294967295UL
#define HLX_SUPPORTED_VERSIONS_MAX 16	/* Error/SupportedVersion we keep */
#define HLX_CAP_VERSIONS_MAX	16	/* Capabilities/Version we keep */
#define HLX_DETAIL_ECHO_MAX	200	/* sender data quoted in an Error */

/* protocol.md §3: time window for SentAt */
#define HLX_SENT_AT_MAX_AGE	(30L * 24 * 3600)
#define HLX_SENT_AT_MAX_AHEAD	(10L * 60)

/* case-record.md: the JSON record */
#define HLX_RECORD_MAX_BYTES	(4L * 1024 * 1024)
#define HLX_RECORD_MAX_DEPTH	32

/* XML parsing of untrusted messages: our documents are at most 5 levels
 * deep; extension elements get some room, never libxml2's 256 default. */
#define HLX_XML_MAX_DEPTH	32
/* libxml2 2.9 checks duplicate attributes pairwise (quadratic: 50,000
 * attributes cost 10 s) and builds a DOM of ~1.5 KB per node; both are
 * bounded before libxml2 sees a byte.  A Referral of 1000 items has about
 * 12,000 elements; none of ours has more than 3 attributes. */
#define HLX_XML_MAX_ATTRIBUTES	32	/* on one element */
#define HLX_XML_MAX_ELEMENTS	65536	/* in one message */

/* operations.md §1: configuration */
#define HLX_CONF_LINE_MAX	1024	/* bytes, excluding the newline */
#define HLX_CONF_MAX_BYTES	(1024L * 1024)
#define HLX_CONF_ERRORS_MAX	50	/* errors reported before giving up */
#define HLX_CASE_PREFIX_MAX	(HLX_CASE_NUMBER_MAX - 12) /* + "2026-000088" */
#define HLX_RECEIVE_FOR_MAX	32	/* countries in [hotline] receive_for */

/* operations.md §1 defaults, and the range a configuration may set */
#define HLX_DEFAULT_MAX_MESSAGE_BYTES	(4L * 1024 * 1024)
#define HLX_MIN_MESSAGE_BYTES		(64L * 1024)
#define HLX_MAX_MESSAGE_BYTES		(64L * 1024 * 1024)
#define HLX_MAX_CONNECTIONS_LIMIT	65536
#define HLX_RATE_LIMIT_MAX		1000000
#define HLX_CONNECTIONS_PER_PEER_MAX	64
#define HLX_DURATION_MAX		(365L * 24 * 3600)	/* one year */

#endif /* HLX_LIMITS_H */
