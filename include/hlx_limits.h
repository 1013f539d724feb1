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
/* [listen] max_handshakes when unset: max_connections / 4, at least this */
#define HLX_HANDSHAKES_MIN_DEFAULT	8

/* hlxd's listeners (server.c).  The admin listener's connections are few
 * (a monitoring probe or two) and have no directive: over the cap a new
 * one is closed at once; each phase of a request (waiting for it, its
 * headers, writing the answer) has an absolute deadline. */
#define HLX_ADMIN_CONNECTIONS_MAX	16
#define HLX_ADMIN_TIMEOUT		10	/* seconds */
/* accept() failing for want of descriptors (EMFILE, ENFILE): the listener
 * stops accepting this long instead of spinning on the error, and says so
 * at most once per HLX_ACCEPT_LOG_INTERVAL. */
#define HLX_ACCEPT_PAUSE		1	/* seconds */
/* [listen] max_handshakes reached: a handshake in progress this long,
 * with nothing of its client's waiting to be read (the client is behind,
 * not us), is stalled and may give its place to a new connection -- a
 * socket that says nothing, or one byte (0x16), and waits.  A partner
 * completes its handshake in milliseconds.  Not less: a loaded client (a
 * burst of partners' connections) may take a moment to answer. */
#define HLX_HANDSHAKE_STALL_MIN		2	/* seconds */
/* ... and a new connection from an address (its /64) that already holds
 * max(1, max_handshakes / this) stalled handshakes is closed at once:
 * one address cannot keep the room full by reconnecting.  Only stalled
 * ones count, so that a burst of real handshakes from one address (a
 * partner's 200 at once) is never refused. */
#define HLX_HANDSHAKES_PER_ADDR_DIV	16
#define HLX_ACCEPT_LOG_INTERVAL		60	/* seconds */
/* A refusal while the client may still be sending (a 413 at the headers,
 * a 400 mid-body) is answered, and then what the client sends is read and
 * thrown away -- what nginx calls a lingering close -- so that a client
 * that writes its whole body before reading (Python's http.client) gets
 * the answer and not a reset that destroys it.  At most this many bytes,
 * and this long from the refusal, whichever comes first; and a client that
 * sends nothing for HLX_LINGER_IDLE_SECONDS is done. */
#define HLX_LINGER_BYTES		(16L * 1024 * 1024)
#define HLX_LINGER_SECONDS		5
#define HLX_LINGER_IDLE_SECONDS		2

/* [listen] rate_limit_bytes: body bytes a second per peer.  The default
 * is what one partner may add to the store and hand-off directory: 256 KiB
 * a second is 0.9 GiB an hour, 21.1 GiB a day, where the message rate
 * alone (rate_limit 50 of 4 MiB) would let it write 200 MiB a second. */
#define HLX_DEFAULT_RATE_LIMIT_BYTES	(256L * 1024)
#define HLX_RATE_LIMIT_BYTES_MIN	1024L
#define HLX_RATE_LIMIT_BYTES_MAX	(1024L * 1024 * 1024)
/* A Retry-After of a rate limit is at most this (seconds). */
#define HLX_RETRY_AFTER_MAX		86400

/* hlxd's descriptor budget (fdbudget.h), beyond the listeners' caps:
 * per delivery transfer a socket and libcurl's resolver pair; the store's
 * three connections, each with its database, -wal, -shm and one spare;
 * a hand-off being written and its directory; a margin for stdio, the
 * log, libevent's and OpenSSL's own. */
#define HLX_FDS_PER_TRANSFER		3
#define HLX_FDS_STORE			(3 * 4)
#define HLX_FDS_HANDOFF			2
#define HLX_FDS_MARGIN			64

#endif /* HLX_LIMITS_H */
