/*
 * cmd_sign.c: `pktlab-cred sign`: a certificate for a request (its
 * self-signature checked, its key the subject unless -k says otherwise, its
 * pairs merged with the command line's, which win) or straight for a public
 * key, in the exact DER profile 1.1.0 peers accept (certs spec §2.4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "credtool/credtool.h"
#include "util/log.h"
#include "util/util.h"

#define ONE_YEAR	(365 * 86400)

static const char usage_head[] =
"usage: pktlab-cred sign -K SIGNER_KEY (-r REQUEST | -k SUBJECT_KEY)\n"
"                        [-t TYPE] [-o FILE] [OPTIONS]\n"
"\n"
"Sign a certificate with SIGNER_KEY.  With a request, its self-signature\n"
"is checked, its key is the subject (unless -k) and what it asks for is\n"
"merged with the options below, which win name by name.\n"
"\n"
"  -K, --signer KEY          the signer's private key\n"
"  -r, --csr FILE            the request (PKCS#10, from `pktlab-cred csr`\n"
"                            or ppksman)\n"
"  -k, --key FILE            the subject's public key\n"
"  --not-before TIME         start of validity (default: now)\n"
"  --not-after TIME          end of validity (default: one year later)\n"
"                            TIME: UNIX seconds or UTC \"2026-01-31\",\n"
"                            \"2026-01-31T12:00:00Z\"\n"
"  -o, --out FILE            where to write (default: standard output)\n"
"  -f, --force               replace an existing FILE\n"
"  --passphrase-file FILE    passphrase of an encrypted SIGNER_KEY\n"
"  -h, --help                this text\n"
"\n"
"TYPE defaults to the request's.  pktlab_init.py's certificates, as\n"
"examples (signer -> subject): agent k_xc -> k_xc, exppriv k_eop -> k_exper,\n"
"pubcmd k_exper -> k_xc, subcmd k_eop -> k_ep.\n"
"\n";

int
cmd_sign(int argc, char **argv)
{
	static const struct option own[] = {
		{ "signer", required_argument, NULL, 'K' },
		{ "csr", required_argument, NULL, 'r' },
		{ "key", required_argument, NULL, 'k' },
		{ "not-before", required_argument, NULL, 'b' },
		{ "not-after", required_argument, NULL, 'a' },
		OUTOPT_LONGOPTS,
	};
	struct option		*longopts;
	struct privopt		 po;
	struct outopt		 oo = { NULL, 0, { NULL, 0 } };
	struct cred_nvlist	 info = { 0 }, lim = { 0 };
	struct cred_issue	 is;
	struct cred_csr		 csr;
	struct cred_cert	 check;
	struct cred_err		 err;
	const char		*signer = NULL, *csrfile = NULL, *keyfile = NULL;
	const char		*nb = NULL, *na = NULL;
	char			*info_text, *limits_text, *pem, *help;
	char			 hex[2 * CRED_KEYID_LEN + 1], t1[40], t2[40];
	EVP_PKEY		*sk, *subject;
	X509_REQ		*req;
	X509			*x;
	size_t			 len;
	int			 ch, have_csr = 0;

	help = xasprintf("%s%s", usage_head, privopt_help);
	privopt_init(&po, "sign");
	longopts = longopts_with_priv(own, sizeof(own) / sizeof(own[0]));
	while ((ch = getopt_long(argc, argv, "K:r:k:o:ft:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'K':
			signer = optarg;
			break;
		case 'r':
			csrfile = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'b':
			nb = optarg;
			break;
		case 'a':
			na = optarg;
			break;
		case 'h':
			help_exit(help, 1);
		default:
			if (!outopt_handle(&oo, ch, optarg) &&
			    !privopt_handle(&po, ch, optarg))
				help_exit(help, 0);
		}
	}
	if (optind != argc)
		usage_fail("sign", "unexpected argument \"%s\"", argv[optind]);
	if (signer == NULL)
		usage_fail("sign", "give the signer's private key with -K");
	if (csrfile == NULL && keyfile == NULL)
		usage_fail("sign", "give a request (-r) or a subject key (-k)");

	memset(&is, 0, sizeof(is));
	is.not_before = (int64_t)time(NULL);
	if (nb != NULL)
		validity_opt("sign", "not-before", nb, &is.not_before);
	is.not_after = is.not_before + ONE_YEAR;
	if (na != NULL)
		validity_opt("sign", "not-after", na, &is.not_after);

	subject = NULL;
	is.pathlen = -1;
	if (csrfile != NULL) {
		if ((req = cred_csr_load(csrfile, &err)) == NULL ||
		    cred_csr_decode(req, csrfile, &csr, &err) < 0)
			fatalx("%s", err.msg);
		have_csr = 1;
		if (csr.info_text != NULL && cred_nvlist_parse(&info,
		    csr.info_text, strlen(csr.info_text), 0, csrfile, &err) < 0)
			fatalx("%s", err.msg);
		if (csr.limits_text != NULL && cred_nvlist_parse(&lim,
		    csr.limits_text, strlen(csr.limits_text), 1, csrfile,
		    &err) < 0)
			fatalx("%s", err.msg);
		if (po.type == CRED_UNKNOWN)
			po.type = csr.info.type;
		else if (csr.info.type != CRED_UNKNOWN &&
		    csr.info.type != po.type)
			log_warnx("%s asks for %s, signing %s as told", csrfile,
			    cred_type_name(csr.info.type),
			    cred_type_name(po.type));
		is.pathlen = csr.pathlen;
		if (keyfile == NULL)
			subject = X509_REQ_get_pubkey(csr.req);
	}
	if (keyfile != NULL)
		subject = load_public_or_die(keyfile);
	if (po.type == CRED_UNKNOWN)
		usage_fail("sign", "give the certificate type with -t");
	if (po.pathlen != -2)
		is.pathlen = po.pathlen;
	if (!cred_type_is_ca(po.type)) {
		if (is.pathlen >= 0 && po.pathlen >= 0)
			usage_fail("sign", "--pathlen is only for exppriv and "
			    "delpriv");
		is.pathlen = -1;
	}
	privopt_finish(&po, po.type, &info, &lim, &info_text, &limits_text);

	sk = load_private_or_die(signer, &oo.pass);
	is.type = po.type;
	is.info = info_text;
	is.limits = limits_text;
	if ((x = cred_cert_issue(&is, subject, sk, &err)) == NULL)
		fatalx("%s", err.msg);
	/* What we write must be what PacketLab accepts. */
	if (cred_cert_decode(x, oo.out != NULL ? oo.out : "certificate",
	    &check, &err) < 0)
		fatalx("internal error, the new certificate does not decode: "
		    "%s", err.msg);
	if ((pem = cred_x509_pem(x, &len, &err)) == NULL ||
	    write_out(oo.out, pem, len, 0644, oo.force, &err) < 0)
		fatalx("%s", err.msg);
	log_info("%s: %s certificate for key %s, valid %s .. %s",
	    oo.out != NULL ? oo.out : "stdout", cred_type_name(po.type),
	    keyid_hex(check.ski, hex), cred_fmt_time(check.not_before, t1,
	    sizeof(t1)), cred_fmt_time(check.not_after, t2, sizeof(t2)));
	cred_cert_clear(&check);
	if (have_csr)
		cred_csr_clear(&csr);
	free(pem);
	free(info_text);
	free(limits_text);
	X509_free(x);
	EVP_PKEY_free(sk);
	EVP_PKEY_free(subject);
	cred_nvlist_clear(&info);
	cred_nvlist_clear(&lim);
	privopt_clear(&po);
	free(longopts);
	free(help);
	return 0;
}
