/*
 * types.c -- HLX/1 value types and vocabularies.  See types.h.
 *
 * Every check here has a twin in schemas/hlx-1.xsd where XSD can say it; the
 * code is the stricter of the two (calendar dates, ISO country codes, a host
 * in every URL) and the tests hold both to the same cases.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "hlx_limits.h"
#include "types.h"

struct vocab {
	const char *const	*names;
	size_t			 count;
	const char		*list;
};

#define V(arr, list) { arr, sizeof(arr) / sizeof(arr[0]), list }

static const char *const restriction_names[] = { "red", "amber+strict",
	"amber", "green", "clear" };
static const char *const source_names[] = { "public_report", "proactive",
	"hash_match", "partner" };
static const char *const site_type_names[] = { "website", "image_host",
	"file_host", "forum", "image_store", "banner_site", "link_site",
	"social_network", "blog", "search_provider", "redirector",
	"web_archive", "other" };
static const char *const severity_names[] = { "low", "medium", "high",
	"critical" };
static const char *const media_type_names[] = { "image", "video", "archive",
	"text", "other" };
static const char *const intl_verdict_names[] = { "baseline", "not_baseline",
	"not_assessed" };
static const char *const national_verdict_names[] = { "illegal",
	"not_illegal", "not_assessed" };
static const char *const industry_class_names[] = { "A1", "A2", "B1", "B2" };
static const char *const expectation_names[] = { "assess_and_takedown",
	"inform_only" };
static const char *const state_names[] = { "received", "under_assessment",
	"forwarded_to_lea", "notice_sent_to_host", "content_removed",
	"content_online", "not_illegal_here", "closed" };
static const char *const observed_by_names[] = { "analyst", "crawler",
	"host_confirmation", "lea" };
static const char *const receipt_status_names[] = { "accepted", "duplicate" };
static const char *const hash_alg_names[] = { "sha256", "sha1", "md5", "pdq",
	"photodna" };
static const char *const body_names[] = { "Referral", "Assessment",
	"StatusUpdate", "Withdraw", "Reroute", "Receipt", "Error",
	"Capabilities" };

static const struct vocab vocabs[VOCAB_COUNT] = {
	[VOCAB_RESTRICTION] = V(restriction_names,
	    "red, amber+strict, amber, green, clear"),
	[VOCAB_SOURCE] = V(source_names,
	    "public_report, proactive, hash_match, partner"),
	[VOCAB_SITE_TYPE] = V(site_type_names,
	    "website, image_host, file_host, forum, image_store, banner_site, "
	    "link_site, social_network, blog, search_provider, redirector, "
	    "web_archive, other"),
	[VOCAB_SEVERITY] = V(severity_names, "low, medium, high, critical"),
	[VOCAB_MEDIA_TYPE] = V(media_type_names,
	    "image, video, archive, text, other"),
	[VOCAB_INTL_VERDICT] = V(intl_verdict_names,
	    "baseline, not_baseline, not_assessed"),
	[VOCAB_NATIONAL_VERDICT] = V(national_verdict_names,
	    "illegal, not_illegal, not_assessed"),
	[VOCAB_INDUSTRY_CLASS] = V(industry_class_names, "A1, A2, B1, B2"),
	[VOCAB_EXPECTATION] = V(expectation_names,
	    "assess_and_takedown, inform_only"),
	[VOCAB_STATE] = V(state_names,
	    "received, under_assessment, forwarded_to_lea, "
	    "notice_sent_to_host, content_removed, content_online, "
	    "not_illegal_here, closed"),
	[VOCAB_OBSERVED_BY] = V(observed_by_names,
	    "analyst, crawler, host_confirmation, lea"),
	[VOCAB_RECEIPT_STATUS] = V(receipt_status_names, "accepted, duplicate"),
	[VOCAB_HASH_ALG] = V(hash_alg_names,
	    "sha256, sha1, md5, pdq, photodna"),
	[VOCAB_BODY] = V(body_names,
	    "Referral, Assessment, StatusUpdate, Withdraw, Reroute, Receipt, "
	    "Error, Capabilities"),
};

int
type_vocab_parse(enum type_vocab v, const char *s)
{
	size_t i;

	if ((unsigned)v >= VOCAB_COUNT || s == NULL)
		return -1;
	for (i = 0; i < vocabs[v].count; i++)
		if (strcmp(s, vocabs[v].names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
type_vocab_name(enum type_vocab v, int i)
{
	if ((unsigned)v >= VOCAB_COUNT || i < 0 || (size_t)i >= vocabs[v].count)
		return NULL;
	return vocabs[v].names[i];
}

const char *
type_vocab_list(enum type_vocab v)
{
	return (unsigned)v < VOCAB_COUNT ? vocabs[v].list : "";
}

size_t
type_vocab_count(enum type_vocab v)
{
	return (unsigned)v < VOCAB_COUNT ? vocabs[v].count : 0;
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_lower_hex(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f');
}

static int
is_alnum(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

const char *
type_check_uuid(const char *s)
{
	size_t i;

	if (strlen(s) != HLX_UUID_LEN)
		return "not a lowercase UUID";
	for (i = 0; i < HLX_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return "not a lowercase UUID";
		} else if (!is_lower_hex((unsigned char)s[i]))
			return "not a lowercase UUID";
	}
	return NULL;
}

static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int
days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

/* Fills tm and returns 0 when s is an HLX timestamp. */
static int
timestamp_fields(const char *s, struct tm *tm)
{
	size_t len = strlen(s), i;
	int year, mon, day, hour, min, sec;

	if (len < 20 || len > HLX_TIMESTAMP_MAX)
		return -1;
	if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[len - 1] != 'Z')
		return -1;
	year = digits(s, 4);
	mon = digits(s + 5, 2);
	day = digits(s + 8, 2);
	hour = digits(s + 11, 2);
	min = digits(s + 14, 2);
	sec = digits(s + 17, 2);
	if (year < 1 || mon < 1 || mon > 12 || day < 1 ||
	    day > days_in_month(year, mon) || hour < 0 || hour > 23 ||
	    min < 0 || min > 59 || sec < 0 || sec > 59)
		return -1;
	if (len > 20) {
		/* ".f" to ".ffffff" then Z */
		if (s[19] != '.' || len < 22)
			return -1;
		for (i = 20; i < len - 1; i++)
			if (!is_digit((unsigned char)s[i]))
				return -1;
	}
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = year - 1900;
	tm->tm_mon = mon - 1;
	tm->tm_mday = day;
	tm->tm_hour = hour;
	tm->tm_min = min;
	tm->tm_sec = sec;
	return 0;
}

const char *
type_check_timestamp(const char *s)
{
	struct tm tm;

	if (timestamp_fields(s, &tm) == -1)
		return "not an RFC 3339 UTC timestamp "
		    "(YYYY-MM-DDTHH:MM:SS[.ffffff]Z)";
	return NULL;
}

int
type_timestamp_parse(const char *s, time_t *out)
{
	struct tm tm;

	if (timestamp_fields(s, &tm) == -1)
		return -1;
	*out = timegm(&tm);
	return 0;
}

int
type_timestamp_format(time_t t, char *buf, size_t bufsz)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	if (strftime(buf, bufsz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -1;
	return 0;
}

const char *
type_check_hotline_id(const char *s)
{
	size_t len = strlen(s), i;

	if (len == 0 || len > HLX_HOTLINE_ID_MAX)
		return "not a hotline id (1 to 63 of a-z 0-9 . -)";
	for (i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		int edge = i == 0 || i == len - 1;
		if (!(is_digit(c) || (c >= 'a' && c <= 'z') ||
		    (!edge && (c == '.' || c == '-'))))
			return "not a hotline id (1 to 63 of a-z 0-9 . -, "
			    "starting and ending with a letter or digit)";
	}
	return NULL;
}

static const char *
check_charset(const char *s, size_t max, const char *extra)
{
	size_t len = strlen(s), i;

	if (len == 0 || len > max)
		return "";
	for (i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		if (!is_alnum(c) && (c == '\0' || strchr(extra, c) == NULL))
			return "";
	}
	return NULL;
}

const char *
type_check_case_number(const char *s)
{
	if (check_charset(s, HLX_CASE_NUMBER_MAX, "._:-") != NULL)
		return "not a case number (1 to 64 of A-Z a-z 0-9 . _ : -)";
	return NULL;
}

const char *
type_check_token(const char *s)
{
	if (check_charset(s, HLX_TOKEN_MAX, "._:/-") != NULL)
		return "not a token (1 to 64 of A-Z a-z 0-9 . _ : / -)";
	return NULL;
}

/*
 * ISO 3166-1 alpha-2, officially assigned codes, plus XK (Kosovo), the
 * user-assigned code that the EU and most registries use.
 */
static const char iso3166[] =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ "
    "BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ "
    "CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ "
    "DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR "
    "GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY "
    "HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP "
    "KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY "
    "MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ "
    "NA NC NE NF NG NI NL NO NP NR NU NZ OM "
    "PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW "
    "SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ "
    "TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ "
    "VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW";

const char *
type_check_country(const char *s)
{
	size_t i;

	if (strlen(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' ||
	    s[1] > 'Z')
		return "not a country (two upper-case letters, ISO 3166-1)";
	for (i = 0; i + 1 < sizeof(iso3166); i += 3)
		if (iso3166[i] == s[0] && iso3166[i + 1] == s[1])
			return NULL;
	return "not an ISO 3166-1 alpha-2 country code";
}

/* RFC 3986 reg-name characters as the schema's Url pattern allows them. */
static int
url_host_char(int c)
{
	return c > 0x20 && c < 0x7f && strchr("#/:?@[\\]", c) == NULL;
}

static int
url_literal_char(int c)
{
	return is_alnum(c) || (c != '\0' && strchr(":.%_~-", c) != NULL);
}

/*
 * The same grammar as the schema's Url type: scheme "://" [userinfo "@"]
 * (reg-name | "[" literal "]") [":" digits] then anything printable.
 */
const char *
type_check_url(const char *s)
{
	size_t len = strlen(s), i, start, end, host;
	const char *at;

	if (len > HLX_URL_MAX)
		return "longer than 2048 characters";
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return "not printable ASCII (IRIs must be "
			    "percent-encoded)";
	if (strncasecmp(s, "http://", 7) == 0)
		start = 7;
	else if (strncasecmp(s, "https://", 8) == 0)
		start = 8;
	else
		return "not an absolute http or https URL";
	end = start + strcspn(s + start, "/?#");
	host = start;
	if ((at = memchr(s + start, '@', end - start)) != NULL) {
		if (memchr(at + 1, '@', end - (size_t)(at + 1 - s)) != NULL)
			return "has more than one @ before its host";
		host = (size_t)(at - s) + 1;
	}
	i = host;
	if (i < end && s[i] == '[') {
		for (i++; i < end && url_literal_char((unsigned char)s[i]); i++)
			;
		if (i == host + 1 || i >= end || s[i] != ']')
			return "has a malformed IP literal host";
		i++;
	} else {
		for (; i < end && url_host_char((unsigned char)s[i]); i++)
			;
		if (i == host)
			return "has no host";
	}
	if (i < end && s[i] == ':')
		for (i++; i < end && is_digit((unsigned char)s[i]); i++)
			;
	if (i != end)
		return "has a malformed host or port";
	return NULL;
}

const char *
type_check_ip(const char *s)
{
	unsigned char addr[16];

	if (strchr(s, ':') != NULL) {
		if (inet_pton(AF_INET6, s, addr) == 1)
			return NULL;
	} else if (inet_pton(AF_INET, s, addr) == 1)
		return NULL;
	return "not an IPv4 or IPv6 address";
}

int
type_ip_normalize(const char *s, char *buf, size_t bufsz)
{
	unsigned char addr[16];
	int af = strchr(s, ':') != NULL ? AF_INET6 : AF_INET;

	if (inet_pton(af, s, addr) != 1)
		return -1;
	/* glibc's inet_ntop writes the RFC 5952 form. */
	if (inet_ntop(af, addr, buf, (socklen_t)bufsz) == NULL)
		return -1;
	return 0;
}

int
type_utf8_count(const char *str, size_t len, size_t *codepoints,
    size_t *bad_offset)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, n = 0;

	while (i < len) {
		unsigned c = s[i], cp, need, k;

		if (c == 0)
			goto bad;
		if (c < 0x80) {
			i++;
			n++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else
			goto bad;
		if (len - i <= need)
			goto bad;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* overlong, surrogate, or beyond Unicode */
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			goto bad;
		i += need + 1;
		n++;
	}
	if (codepoints != NULL)
		*codepoints = n;
	return 0;
bad:
	if (bad_offset != NULL)
		*bad_offset = i;
	return -1;
}

const char *
type_check_text(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len = strlen(str), n, i;

	if (type_utf8_count(str, len, &n, NULL) == -1)
		return "not valid UTF-8";
	if (n > HLX_TEXT_MAX)
		return "longer than 1000 characters";
	for (i = 0; i < len; i++) {
		/* C0 but tab and line feed, DEL, and C1 (U+0080..U+009F,
		 * encoded as C2 80..C2 9F). */
		if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n') ||
		    s[i] == 0x7f ||
		    (s[i] == 0xc2 && i + 1 < len && s[i + 1] <= 0x9f))
			return "contains a control character";
		/* U+FFFE and U+FFFF are no XML characters at all. */
		if (s[i] == 0xef && i + 2 < len && s[i + 1] == 0xbf &&
		    (s[i + 2] == 0xbe || s[i + 2] == 0xbf))
			return "contains U+FFFE or U+FFFF, which XML does not "
			    "allow";
	}
	return NULL;
}

size_t
type_hash_length(enum hash_alg alg)
{
	switch (alg) {
	case HASH_SHA256:
		return HLX_HASH_SHA256_LEN;
	case HASH_SHA1:
		return HLX_HASH_SHA1_LEN;
	case HASH_MD5:
		return HLX_HASH_MD5_LEN;
	case HASH_PDQ:
		return HLX_HASH_PDQ_LEN;
	case HASH_PHOTODNA:
		return HLX_HASH_PHOTODNA_LEN;
	}
	return 0;
}

const char *
type_check_hash(enum hash_alg alg, const char *s)
{
	size_t len = strlen(s), i, pad = 0;

	if (len != type_hash_length(alg))
		return "wrong length";
	if (alg == HASH_PHOTODNA) {
		for (i = 0; i < len; i++) {
			int c = (unsigned char)s[i];
			if (c == '=' && i >= len - 2) {
				pad++;
				continue;
			}
			if (pad > 0 || !(is_alnum(c) || c == '+' || c == '/'))
				return "not base64";
		}
		return NULL;
	}
	for (i = 0; i < len; i++)
		if (!is_lower_hex((unsigned char)s[i]))
			return "not lowercase hex";
	return NULL;
}
