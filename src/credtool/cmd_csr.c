/*
 * cmd_csr.c: `pktlab-cred csr`: a PKCS#10 request for exppriv or delpriv
 * privileges (certs spec §3): subject CN=" ", the requester's key and
 * self-signature, an extensionRequest with 1.2.3.1, BasicConstraints only
 * when a pathLen is asked for, and 1.2.3.3 when limits are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credtool/credtool.h"
#include "util/log.h"
#include "util/util.h"

static const char usage_head[] =
"usage: pktlab-cred csr -t exppriv|delpriv -k KEY [-o FILE] [OPTIONS]\n"
"\n"
"Make a request for experiment (exppriv) or delegated (delpriv)\n"
"privileges, to send to an endpoint operator or a privilege holder who\n"
"signs it with `pktlab-cred sign -r`.\n"
"\n"
"  -k, --key KEY             the requester's private key\n"
"  -o, --out FILE            where to write (default: standard output)\n"
"  -f, --force               replace an existing FILE\n"
"  --passphrase-file FILE    passphrase of an encrypted KEY\n"
"  -h, --help                this text\n"
"\n";

int
cmd_csr(int argc, char **argv)
{
	static const struct option own[] = {
		{ "key", required_argument, NULL, 'k' },
		OUTOPT_LONGOPTS,
	};
	struct option		*longopts;
	struct privopt		 po;
	struct outopt		 oo = { NULL, 0, { NULL, 0 } };
	struct cred_nvlist	 info = { 0 }, lim = { 0 };
	struct cred_err		 err;
	const char		*key = NULL;
	char			*info_text, *limits_text, *pem, *help;
	X509_REQ		*req;
	EVP_PKEY		*k;
	size_t			 len;
	int			 ch;

	help = xasprintf("%s%s", usage_head, privopt_help);
	privopt_init(&po, "csr");
	longopts = longopts_with_priv(own, sizeof(own) / sizeof(own[0]));
	while ((ch = getopt_long(argc, argv, "k:o:ft:h", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'k':
			key = optarg;
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
		usage_fail("csr", "unexpected argument \"%s\"", argv[optind]);
	if (key == NULL)
		usage_fail("csr", "give the requester's key with -k");
	if (po.type != CRED_EXPPRIV && po.type != CRED_DELPRIV)
		usage_fail("csr", "requests are for exppriv or delpriv "
		    "privileges (-t)");
	k = load_private_or_die(key, &oo.pass);
	privopt_finish(&po, po.type, &info, &lim, &info_text, &limits_text);
	req = cred_csr_make(k, 1, po.pathlen >= 0 ? po.pathlen : -1,
	    info_text, limits_text, &err);
	if (req == NULL || (pem = cred_csr_pem(req, &len, &err)) == NULL ||
	    write_out(oo.out, pem, len, 0644, oo.force, &err) < 0)
		fatalx("%s", err.msg);
	if (oo.out != NULL && strcmp(oo.out, "-") != 0)
		printf("%s: request for %s (%s%s%s)\n", oo.out,
		    cred_type_name(po.type), info_text,
		    limits_text != NULL ? " " : "",
		    limits_text != NULL ? limits_text : "");
	free(pem);
	free(info_text);
	free(limits_text);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	cred_nvlist_clear(&info);
	cred_nvlist_clear(&lim);
	privopt_clear(&po);
	free(longopts);
	free(help);
	return 0;
}
