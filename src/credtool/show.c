/*
 * show.c: `pktlab-cred show`: a readable decode of certificates, requests
 * and keys, with the key ids that link them.  show_cert and show_limits
 * also serve `verify`.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "credtool/credtool.h"
#include "util/log.h"
#include "util/util.h"

static const char usage[] =
"usage: pktlab-cred show [--passphrase-file FILE] FILE...\n"
"\n"
"Decode PacketLab certificates, certificate requests, public and private\n"
"keys (PEM or DER): type, validity, key ids, information and limits.\n"
"A certificate PacketLab would refuse is shown with the reason, and the\n"
"exit status is 1.\n"
"\n"
"  --passphrase-file FILE    passphrase of an encrypted private key (or\n"
"                            $PKTLAB_PASSPHRASE, or the terminal)\n"
"  -h, --help                this text\n";

static int	 show_file(const char *, const struct passopt *);
static int	 show_x509(const char *);
static int	 show_csr(const char *);
static int	 show_key(const char *, int, const struct passopt *);
static void	 show_info(const struct cred_info *, const char *);
static void	 show_digests(const char *, const struct cred_digest *, size_t,
		    const char *);
static void	 show_rates(const char *, const struct cred_rate *, size_t,
		    const char *);
static const char *opt_mark(const struct cred_limits *, int);

int
cmd_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct passopt	 po = { NULL, 0 };
	int		 ch, i, bad = 0;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			po.file = optarg;
			break;
		case 'h':
			help_exit(usage, 1);
		default:
			help_exit(usage, 0);
		}
	}
	if (optind == argc)
		usage_fail("show", "give at least one FILE");
	for (i = optind; i < argc; i++) {
		if (i > optind)
			printf("\n");
		if (show_file(argv[i], &po) < 0)
			bad = 1;
	}
	return bad;
}

static int
show_file(const char *path, const struct passopt *po)
{
	struct cred_err	 err;
	char		*text;
	size_t		 len;
	int		 r;

	if (cred_read_file(path, 1024 * 1024, &text, &len, &err) < 0) {
		log_fatalx("%s", err.msg);
		return -1;
	}
	printf("%s\n", path);
	if (strstr(text, "-----BEGIN CERTIFICATE REQUEST-----") != NULL ||
	    strstr(text, "-----BEGIN NEW CERTIFICATE REQUEST-----") != NULL)
		r = show_csr(path);
	else if (strstr(text, "-----BEGIN CERTIFICATE-----") != NULL)
		r = show_x509(path);
	else if (strstr(text, "-----BEGIN PUBLIC KEY-----") != NULL)
		r = show_key(path, 0, po);
	else if (strstr(text, "PRIVATE KEY-----") != NULL)
		r = show_key(path, 1, po);
	else if (len > 0 && (unsigned char)text[0] == 0x30) {
		/* DER: a certificate or a request. */
		ERR_clear_error();
		r = show_x509(path);
	} else {
		log_fatalx("%s: not a certificate, request or key", path);
		r = -1;
	}
	free(text);
	return r;
}

static int
show_x509(const char *path)
{
	struct cred_cert	 c;
	struct cred_err		 err;
	X509_REQ		*req;
	X509			*x;

	if ((x = cred_x509_load(path, &err)) == NULL) {
		/* A DER request looks the same from the outside. */
		if ((req = cred_csr_load(path, NULL)) != NULL) {
			X509_REQ_free(req);
			return show_csr(path);
		}
		log_fatalx("%s", err.msg);
		return -1;
	}
	if (cred_cert_decode(x, cred_basename(path), &c, &err) < 0) {
		printf("  NOT a valid PacketLab certificate: %s\n", err.msg);
		X509_free(x);
		return -1;
	}
	show_cert(&c, "  ");
	cred_cert_clear(&c);
	X509_free(x);
	return 0;
}

void
show_cert(const struct cred_cert *c, const char *in)
{
	char	 hex[2 * CRED_KEYID_LEN + 1], t1[40], t2[40], ser[64];
	time_t	 now = time(NULL);
	int	 self = memcmp(c->aki, c->ski, CRED_KEYID_LEN) == 0;

	printf("%stype:        %s", in, cred_type_name(c->info.type));
	if (cred_type_is_ca(c->info.type)) {
		if (c->pathlen >= 0)
			printf(" (may sign; pathLen %d)", c->pathlen);
		else
			printf(" (may sign; no pathLen)");
	}
	printf("\n");
	if (c->info.type == CRED_DELPRIV) {
		char	 d[32];

		printf("%sdelegates:   %s\n", in, cred_del_type_str(
		    c->info.del_type, d, sizeof(d)));
	}
	printf("%sserial:      %s\n", in, pl_hex(c->serial, c->serial_len <=
	    (sizeof(ser) - 1) / 2 ? c->serial_len : (sizeof(ser) - 1) / 2,
	    ser));
	printf("%svalid:       %s .. %s (%s)\n", in,
	    cred_fmt_time(c->not_before, t1, sizeof(t1)),
	    cred_fmt_time(c->not_after, t2, sizeof(t2)),
	    now < c->not_before ? "not yet valid" : now > c->not_after ?
	    "expired" : "valid now");
	printf("%ssubject key: %s\n", in, keyid_hex(c->ski, hex));
	printf("%ssigner key:  %s%s\n", in, keyid_hex(c->aki, hex),
	    self ? (X509_verify(c->x509, X509_get0_pubkey(c->x509)) == 1 ?
	    " (self-signed)" : " (claims self-signed; signature bad)") : "");
	if (c->info.desc != NULL)
		printf("%sdescription: %s\n", in, c->info.desc);
	show_info(&c->info, in);
	if (c->has_limits)
		show_limits(&c->lim, in);
}

static void
show_info(const struct cred_info *i, const char *in)
{
	size_t	 k;

	for (k = 0; k < i->naux; k++)
		printf("%sinfo:        %s=%s\n", in, i->aux[k].name,
		    i->aux[k].value);
}

static const char *
opt_mark(const struct cred_limits *l, int k)
{
	return (l->optional & CRED_LIM_BIT(k)) ? " (optional)" : "";
}

static void
show_digests(const char *name, const struct cred_digest *d, size_t n,
    const char *in)
{
	char	 hex[2 * CRED_DIGEST_LEN + 1];
	size_t	 i;

	for (i = 0; i < n; i++)
		printf("%s  %-20s %s\n", in, i == 0 ? name : "",
		    pl_hex(d[i].d, CRED_DIGEST_LEN, hex));
}

static void
show_rates(const char *name, const struct cred_rate *r, size_t n,
    const char *in)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		printf("%s  %-20s %llu per %llu ns\n", in, i == 0 ? name : "",
		    (unsigned long long)r[i].count,
		    (unsigned long long)r[i].window);
}

void
show_limits(const struct cred_limits *l, const char *in)
{
	char	 s[64];
	size_t	 i;
	int	 k;

	printf("%slimits:\n", in);
	if (l->have & CRED_LIM_BIT(CRED_LIM_MONITOR))
		show_digests("monitor", l->monitor, l->nmonitor, in);
	if (l->have & CRED_LIM_BIT(CRED_LIM_FILTER))
		show_digests("filter", l->filter, l->nfilter, in);
	for (k = CRED_LIM_FIRST_NUM; k <= CRED_LIM_LAST_NUM; k++)
		if (l->have & CRED_LIM_BIT(k))
			printf("%s  %-20s %llu%s\n", in,
			    cred_lim_name((enum cred_lim)k),
			    (unsigned long long)l->num[k], opt_mark(l, k));
	show_rates("max_burst_rate_byte", l->burst_byte, l->nburst_byte, in);
	show_rates("max_burst_rate_pkt", l->burst_pkt, l->nburst_pkt, in);
	for (i = 0; i < l->ndest; i++)
		printf("%s  %-20s %s%s\n", in, i == 0 ? "valid_dest" : "",
		    cred_subnet_str(&l->dest[i], s, sizeof(s)),
		    l->dest[i].hostbits ? " (written with host bits set)" :
		    "");
	if (l->have & CRED_LIM_BIT(CRED_LIM_SRC_IP_SPOOFING))
		printf("%s  %-20s %s\n", in, "src_ip_spoofing",
		    l->src_ip_spoofing ? "allowed" : "forbidden");
	for (i = 0; i < l->naux; i++)
		printf("%s  %s%-*s %s (not known to PacketLab%s)\n", in,
		    l->aux[i].optional ? "*" : "", l->aux[i].optional ? 19 : 20,
		    l->aux[i].name, l->aux[i].value,
		    l->aux[i].optional ? "; optional" : "");
}

static int
show_csr(const char *path)
{
	struct cred_csr	 c;
	struct cred_err	 err;
	X509_REQ	*req;
	uint8_t		 id[CRED_KEYID_LEN];
	char		 hex[2 * CRED_KEYID_LEN + 1];

	if ((req = cred_csr_load(path, &err)) == NULL ||
	    cred_csr_decode(req, cred_basename(path), &c, &err) < 0) {
		printf("  NOT a valid PacketLab request: %s\n", err.msg);
		return -1;
	}
	cred_keyid_raw(c.key, id);
	printf("  request for: %s\n", c.info_text != NULL ?
	    cred_type_name(c.info.type) : "(no 1.2.3.1: the signer decides)");
	if (c.info.type == CRED_DELPRIV) {
		char	 d[32];

		printf("  delegates:   %s\n", cred_del_type_str(c.info.del_type,
		    d, sizeof(d)));
	}
	if (c.has_bc)
		printf("  pathLen:     %d\n", c.pathlen);
	printf("  subject key: %s (self-signature verified)\n",
	    keyid_hex(id, hex));
	if (c.info.desc != NULL)
		printf("  description: %s\n", c.info.desc);
	show_info(&c.info, "  ");
	if (c.has_limits)
		show_limits(&c.lim, "  ");
	cred_csr_clear(&c);
	return 0;
}

static int
show_key(const char *path, int private, const struct passopt *po)
{
	struct cred_pass	 src;
	struct cred_err		 err;
	EVP_PKEY		*k;
	uint8_t			 raw[CRED_RAWKEY_LEN], id[CRED_KEYID_LEN];
	char			 hex[2 * CRED_KEYID_LEN + 1];

	pass_source(po, &src);
	k = private ? cred_key_load(path, &src, &err) :
	    cred_pubkey_load(path, &err);
	if (k == NULL) {
		printf("  NOT a usable PacketLab key: %s\n", err.msg);
		return -1;
	}
	cred_key_raw(k, raw);
	cred_keyid_raw(raw, id);
	printf("  kind:        Ed25519 %s key\n", private ? "private" :
	    "public");
	printf("  public key:  %s\n", pl_hex(raw, sizeof(raw), hex));
	printf("  key id:      %s\n", keyid_hex(id, hex));
	EVP_PKEY_free(k);
	return 0;
}
