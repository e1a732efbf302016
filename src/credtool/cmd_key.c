/*
 * cmd_key.c: `pktlab-cred key`: a new Ed25519 key pair, PATH and PATH.pub,
 * the private key optionally protected by a passphrase.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "credtool/credtool.h"
#include "util/log.h"

static const char usage[] =
"usage: pktlab-cred key [-f] [--encrypt] [--passphrase-file FILE] PATH\n"
"\n"
"Make an Ed25519 key pair: PATH, the private key (PKCS#8 PEM), and\n"
"PATH.pub, the public key (SPKI PEM), both mode 0600.  Prints the key id\n"
"(SHA-256 of the raw public key: the SKI/AKI of certificates, and for an\n"
"operator key the id of its private channel).\n"
"\n"
"  -f, --force               replace existing files\n"
"  --encrypt                 protect the private key with a passphrase:\n"
"                            from --passphrase-file, else $PKTLAB_PASSPHRASE,\n"
"                            else asked twice on the terminal\n"
"  --passphrase-file FILE    the first line of FILE (implies --encrypt)\n"
"  -h, --help                this text\n";

int
cmd_key(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "encrypt", no_argument, NULL, 'e' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct outopt	 oo = { NULL, 0, { NULL, 0 } };
	struct cred_err	 err;
	EVP_PKEY	*k;
	uint8_t		 id[CRED_KEYID_LEN];
	char		 pass[1024], hex[2 * CRED_KEYID_LEN + 1];
	size_t		 passlen;
	int		 ch;

	while ((ch = getopt_long(argc, argv, "fh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'e':
			oo.pass.encrypt = 1;
			break;
		case 'h':
			help_exit(usage, 1);
		default:
			if (!outopt_handle(&oo, ch, optarg))
				help_exit(usage, 0);
		}
	}
	if (optind + 1 != argc)
		usage_fail("key", "give exactly one PATH");
	passlen = new_passphrase(&oo.pass, argv[optind], pass, sizeof(pass));
	if ((k = cred_key_generate(&err)) == NULL ||
	    write_key_pair(argv[optind], k, pass, passlen, oo.force, &err) < 0)
		fatalx("%s", err.msg);
	OPENSSL_cleanse(pass, sizeof(pass));
	cred_keyid(k, id);
	printf("%s: Ed25519 key%s, key id %s\n", argv[optind],
	    passlen > 0 ? " (encrypted)" : "", keyid_hex(id, hex));
	EVP_PKEY_free(k);
	return 0;
}
