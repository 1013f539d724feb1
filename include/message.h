/*
 * message -- HLX/1 messages: struct <-> XML (protocol.md §2), and the checks
 * a receiver makes before it looks at who sent what (§3 checks 5, 7-9).
 *
 * Pure: works on buffers; no files, no sockets, no exit.  Never: resolve an
 * entity, read a DTD, touch the network or the file system while parsing
 * (XML_PARSE_NONET, a deny-all entity loader, any DOCTYPE refused before
 * it is read).
 *
 * Ownership: a struct message owns an arena that holds every string and
 * array it points to; message_free() releases all of it.  message_write()
 * returns a buffer the caller frees with free().  The schema is compiled once
 * (message_schema_new) and shared read-only by every parse, in any thread.
 */
#ifndef HLX_MESSAGE_H
#define HLX_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "hlx_limits.h"
#include "types.h"

#define HLX_NAMESPACE	"urn:x-hlx:1"
#define HLX_VERSION	"1.0"

/* What a receiver answers when a message fails a check (protocol.md §3). */
enum msg_code {
	MSG_OK = 0,
	MSG_TOO_LARGE,
	MSG_MALFORMED,
	MSG_UNSUPPORTED_VERSION,
	MSG_SCHEMA_INVALID,
	MSG_INTERNAL,		/* out of memory, a library failure */
};

struct msg_err {
	enum msg_code	code;
	long		line;		/* 0 when there is none */
	char		detail[256];	/* from fixed templates; see message.c */
	/* What an answer echoes (protocol.md §2.3 "Answers"), when it could
	 * be read from a message that failed later checks. */
	char		message_id[HLX_UUID_LEN + 1];	/* "" when unreadable */
	int		test;
};

struct msg_caseref {
	char		*issuer;
	char		*number;
	uint32_t	 version;
};

/* issuer == NULL: absent. */
struct msg_partnerref {
	char		*issuer;
	char		*number;
};

struct msg_hosting {
	char		*country;
	char		*ips[HLX_IPS_MAX];
	size_t		 nips;
	uint32_t	 asn;		/* 0: absent */
	char		*provider;	/* NULL: absent */
	int		 cdn;		/* -1: absent, else 0/1 */
	char		*traced_at;
};

struct msg_national {
	int		 present;
	char		*jurisdiction;
	char		*code;		/* NULL: absent */
	enum national_verdict verdict;
};

struct msg_item {
	char		*content_url;
	enum media_type	 media_type;
	char		*hashes[HLX_HASH_ALGS];	/* by enum hash_alg; NULL: none */
	enum intl_verdict intl_verdict;
	struct msg_national national;
	int		 industry_class;	/* -1: absent */
	int		 previously_assessed;	/* -1: absent */
};

struct msg_referral {
	struct msg_caseref caseref;
	enum restriction restriction;
	char		*reported_url;
	char		*received_at;
	char		*assessed_at;
	enum source	 source;
	int		 site_type;		/* -1: absent */
	struct msg_hosting hosting;
	enum severity	 severity;
	struct msg_item	*items;
	size_t		 nitems;
	char		*lea_notified_at;	/* NULL: absent */
	char		*host_notified_at;
	enum expectation expectation;
};

struct msg_assessment_item {
	char		*content_url;
	struct msg_national national;
	int		 agrees;		/* -1: absent */
};

struct msg_assessment {
	struct msg_caseref caseref;
	struct msg_partnerref partner;
	char		*assessed_at;
	enum severity	 severity;
	struct msg_assessment_item *items;
	size_t		 nitems;
};

struct msg_status {
	struct msg_caseref caseref;
	struct msg_partnerref partner;
	enum case_state	 state;
	char		*state_at;
	int		 observed_by;		/* -1: absent */
	char		*reason;		/* NULL: absent */
	char		**content_urls;
	size_t		 ncontent_urls;
};

struct msg_withdraw {
	struct msg_caseref caseref;
	char		*reason;
	char		**content_urls;
	size_t		 ncontent_urls;
};

struct msg_reroute {
	struct msg_caseref caseref;
	struct msg_partnerref partner;
	struct msg_hosting hosting;
	char		*reason;
};

struct msg_receipt {
	enum receipt_status status;
	char		*received_at;
	struct msg_partnerref partner;
};

struct msg_error {
	char		*code;
	char		*detail;
	int		 retryable;
	int64_t		 retry_after;		/* -1: absent */
	char		**supported_versions;
	size_t		 nsupported_versions;
};

struct msg_capabilities {
	char		*hotline_id;
	char		*country;
	char		**versions;
	size_t		 nversions;
	unsigned	 body_types;		/* 1u << enum body_type */
	uint64_t	 max_message_bytes;
	uint64_t	 max_items;
};

struct msg_header {
	char		*message_id;
	char		*sent_at;
	char		*sender;
	char		*recipient;
	char		*in_reply_to;		/* NULL: absent */
	int		 test;
};

struct message {
	struct arena	*arena;
	char		*version;		/* the Message/@version */
	struct msg_header header;
	enum body_type	 type;
	union {
		struct msg_referral	referral;
		struct msg_assessment	assessment;
		struct msg_status	status;
		struct msg_withdraw	withdraw;
		struct msg_reroute	reroute;
		struct msg_receipt	receipt;
		struct msg_error	error;
		struct msg_capabilities	capabilities;
	} u;
};

struct msg_schema;

/* The wire name of a code: "SCHEMA_INVALID". */
const char	*message_code_name(enum msg_code);

/*
 * Compiles the XSD in xsd (len bytes).  Returns NULL and a reason in errbuf
 * when it cannot.  Also installs the process-wide deny-all external entity
 * loader; call it once at start-up, before any thread parses.
 */
struct msg_schema *message_schema_new(const char *xsd, size_t len,
		    char *errbuf, size_t errsz);
void		 message_schema_free(struct msg_schema *);

/* An empty message of the given body type, with its own arena. */
struct message	*message_new(enum body_type);
void		 message_free(struct message *);

/*
 * Parses and checks len bytes of an untrusted message, in the order of
 * protocol.md §3: size against max_bytes (TOO_LARGE), well-formed UTF-8 XML
 * without DTD (MALFORMED), namespace and major version (UNSUPPORTED_VERSION),
 * schema and the code checks of §2.4 (SCHEMA_INVALID).  On success *out is a
 * new message; otherwise err says what and where and *out is NULL.
 */
int		 message_parse(const struct msg_schema *, const char *buf,
		    size_t len, size_t max_bytes, struct message **out,
		    struct msg_err *err);

/*
 * The canonical form (operations.md §3): XML declaration, default namespace,
 * schema order, two-space indentation, defaults written out.  The message is
 * not checked here; parse the output to check it.  On success *out is a
 * malloc'd, NUL-terminated buffer of *outlen bytes.
 */
int		 message_write(const struct message *, char **out,
		    size_t *outlen, struct msg_err *err);

/*
 * The check of §2.4 that needs the request: a Receipt answering a Referral
 * must carry a PartnerCaseRef.  0 when r is fine as an answer to request.
 */
int		 message_check_receipt(const struct message *r,
		    enum body_type request, struct msg_err *err);

#endif /* HLX_MESSAGE_H */
