/*
 * cmd_init.c: `pktlab-cred init`: the ~/.pktlab home that PacketLab 1.1.0's
 * pktlab_init.py makes (certs spec §6), without Python: the keys k_exper,
 * k_xc, k_eop, k_ep; the five certificates; the three CSRs; an empty progs/;
 * xpmgr.conf and xpmgr.proxy.conf with exactly the effective lines of §6;
 * and endpt.conf for our local endpoint.
 *
 * Running it again completes what is missing and keeps what is there: an
 * existing key is never replaced without --force; a certificate or request
 * is rewritten only when one of its keys changed; a configuration file that
 * exists is left alone (users append ExpExec lines to it).
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf/addr.h"
#include "credtool/credtool.h"
#include "util/log.h"
#include "util/util.h"

#define DEFAULT_BROKER	"pktbrokr.caida.org"

static const char usage[] =
"usage: pktlab-cred init [--home DIR] [--force] [--encrypt]\n"
"                        [--passphrase-file FILE] [--broker HOST[:PORT]]\n"
"                        [--no-publication] [--not-before TIME]\n"
"                        [--not-after TIME]\n"
"\n"
"Create the PacketLab home (default ~/.pktlab) as PacketLab 1.1.0's\n"
"pktlab_init.py does: keys/ (k_exper experimenter, k_xc controller,\n"
"k_eop endpoint operator, k_ep endpoint, and their .pub), certs/\n"
"(agent_xc_xc, agent_ep_ep, exppriv_eop_exper, pubcmd_exper_xc,\n"
"subcmd_eop_ep), csrs/ (exppriv_exper, delpriv_exp_exper,\n"
"delpriv_rep_eop), progs/, xpmgr.conf, xpmgr.proxy.conf and endpt.conf.\n"
"For pktlab-proxy on this machine: keys/k_proxy, its agent certificate\n"
"certs/agent_proxy_proxy.cert and proxy.conf.\n"
"Folders are 0700, keys 0600.\n"
"\n"
"Run again, it completes what is missing: existing keys are kept (and\n"
"certificates made for them), configuration files are never replaced.\n"
"\n"
"  --home DIR                the home to create (default $HOME/.pktlab)\n"
"  --force                   replace everything, keys included\n"
"  --encrypt                 protect new private keys with one passphrase\n"
"                            (--passphrase-file, $PKTLAB_PASSPHRASE or the\n"
"                            terminal, asked twice)\n"
"  --passphrase-file FILE    that passphrase (implies --encrypt); also opens\n"
"                            existing encrypted keys\n"
"  --broker HOST[:PORT]      the broker to publish to (default\n"
"                            " DEFAULT_BROKER ", as 1.1.0).  A local\n"
"                            one (127.0.0.1, ::1, localhost) also makes\n"
"                            keys/k_bop, certs/agent_bop_bop.cert and\n"
"                            broker.conf for pktlab-broker, on ports\n"
"                            20566 (publishers) and 20567 (subscribers),\n"
"                            or PORT and PORT+1; endpt.conf subscribes\n"
"                            there\n"
"  --no-publication          configurations that never contact a broker\n"
"                            (EnableExpPublication 0)\n"
"  --not-before TIME, --not-after TIME   validity of the certificates\n"
"                            (default 0 .. 2147483647, as pktlab_init.py)\n"
"  -h, --help                this text\n";

/* K_BOP, the broker operator, only for a local broker (--broker 127.0.0.1). */
enum { K_EXPER, K_XC, K_EOP, K_EP, K_BOP, NKEYS };

static const char *const key_names[NKEYS] = { "k_exper", "k_xc", "k_eop",
    "k_ep", "k_bop" };

/*
 * A local broker's ports.  pktxpmgr listens on 20556, the broker's default
 * publisher port, and pktlab-proxy takes 20556/20557: one machine needs
 * ports of its own, written into every configuration.
 */
#define LOCAL_PUB_PORT	20566

/* pktlab_init.py's certificates: <type>_<signer>_<subject>.cert */
static const struct {
	const char	*file;
	enum cred_type	 type;
	int		 signer, subject;
} certs[] = {
	{ "agent_xc_xc.cert", CRED_AGENT, K_XC, K_XC },
	{ "agent_ep_ep.cert", CRED_AGENT, K_EP, K_EP },
	{ "exppriv_eop_exper.cert", CRED_EXPPRIV, K_EOP, K_EXPER },
	{ "pubcmd_exper_xc.cert", CRED_PUBCMD, K_EXPER, K_XC },
	{ "subcmd_eop_ep.cert", CRED_SUBCMD, K_EOP, K_EP },
	{ "agent_bop_bop.cert", CRED_AGENT, K_BOP, K_BOP },	/* local broker */
};

static const struct {
	const char	*file;
	int		 key;
	const char	*info;
} csrs[] = {
	{ "exppriv_exper.csr", K_EXPER, "cert_type=exppriv;" },
	{ "delpriv_exp_exper.csr", K_EXPER,
	    "cert_type=delpriv;del_type=exppriv;" },
	{ "delpriv_rep_eop.csr", K_EOP, "cert_type=delpriv;del_type=reppriv;" },
};

struct init {
	char		*home;		/* absolute */
	int		 force;
	int		 publish;
	const char	*broker;
	int		 local;		/* the broker is on this machine */
	char		*pub_addr;	/* local: HOST:PUB for xpmgr.conf */
	char		*sub_addr;	/* local: HOST:PUB+1 for endpt.conf */
	int64_t		 not_before, not_after;
	struct passopt	 pass;
	EVP_PKEY	*key[NKEYS];
	int		 fresh[NKEYS];	/* generated in this run */
};

static char	*home_default(void);
static void	 make_dir(const char *);
static void	 do_keys(struct init *);
static void	 do_certs(struct init *);
static void	 do_csrs(struct init *);
static int	 cert_matches(const char *, EVP_PKEY *, EVP_PKEY *,
		    enum cred_type);
static void	 do_configs(struct init *);
static void	 write_config(struct init *, const char *, const char *);
static char	*xpmgr_conf(struct init *, int);
static char	*endpt_conf(struct init *);
static void	 local_broker_opt(struct init *);
static char	*broker_conf(struct init *);
static void	 do_proxy(struct init *);

int
cmd_init(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "force", no_argument, NULL, 'f' },
		{ "encrypt", no_argument, NULL, 'e' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "broker", required_argument, NULL, 'B' },
		{ "no-publication", no_argument, NULL, 'N' },
		{ "not-before", required_argument, NULL, 'b' },
		{ "not-after", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct init	 in;
	const char	*home = NULL;
	char		*sub, resolved[PATH_MAX];
	int		 ch, i;

	memset(&in, 0, sizeof(in));
	in.publish = 1;
	in.broker = DEFAULT_BROKER;
	in.not_after = 2147483647;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			home = optarg;
			break;
		case 'f':
			in.force = 1;
			break;
		case 'e':
			in.pass.encrypt = 1;
			break;
		case 'p':
			in.pass.file = optarg;
			break;
		case 'B':
			in.broker = optarg;
			if (*optarg == '\0' || strpbrk(optarg, " \t\n#") !=
			    NULL)
				usage_fail("init", "--broker %s: not HOST[:PORT]",
				    optarg);
			break;
		case 'N':
			in.publish = 0;
			break;
		case 'b':
			validity_opt("init", "not-before", optarg, &in.not_before);
			break;
		case 'a':
			validity_opt("init", "not-after", optarg, &in.not_after);
			break;
		case 'h':
			help_exit(usage, 1);
		default:
			help_exit(usage, 0);
		}
	}
	if (optind != argc)
		usage_fail("init", "unexpected argument \"%s\"", argv[optind]);
	if (in.not_after < in.not_before)
		usage_fail("init", "--not-after is before --not-before");
	local_broker_opt(&in);

	sub = home != NULL ? xstrdup(home) : home_default();
	make_dir(sub);
	if (realpath(sub, resolved) == NULL)
		fatal("%s", sub);
	free(sub);
	in.home = xstrdup(resolved);
	/* ExpExec fields are split on ':' and path lists on ','. */
	if (strpbrk(in.home, ":,") != NULL)
		fatalx("%s: the path holds ':' or ',', which an ExpExec line "
		    "cannot carry; choose another --home", in.home);
	for (i = 0; i < 4; i++) {
		static const char *const dirs[] = { "keys", "certs", "csrs",
		    "progs" };

		sub = xasprintf("%s/%s", in.home, dirs[i]);
		make_dir(sub);
		free(sub);
	}
	do_keys(&in);
	do_certs(&in);
	do_csrs(&in);
	do_configs(&in);
	do_proxy(&in);
	for (i = 0; i < NKEYS; i++)
		EVP_PKEY_free(in.key[i]);
	printf("PacketLab home ready: %s\n", in.home);
	if (in.local)
		printf("Local broker: pktlab-broker -c %s/broker.conf (publishers "
		    "%s, subscribers %s)\n", in.home, in.pub_addr, in.sub_addr);
	free(in.pub_addr);
	free(in.sub_addr);
	free(in.home);
	return 0;
}

static char *
home_default(void)
{
	const char	*h = getenv("HOME");
	struct passwd	*pw;

	if (h == NULL || *h == '\0') {
		if ((pw = getpwuid(getuid())) == NULL || pw->pw_dir == NULL)
			fatalx("no HOME; give --home DIR");
		h = pw->pw_dir;
	}
	return xasprintf("%s/.pktlab", h);
}

static void
make_dir(const char *path)
{
	struct stat	 st;

	if (mkdir(path, 0700) == 0) {
		printf("created %s/\n", path);
		return;
	}
	if (errno != EEXIST)
		fatal("%s", path);
	if (stat(path, &st) == -1)
		fatal("%s", path);
	if (!S_ISDIR(st.st_mode))
		fatalx("%s exists and is not a folder", path);
	if (st.st_mode & 077)
		log_warnx("%s is readable by others (mode %03o); PacketLab "
		    "keeps it 0700", path, (unsigned)(st.st_mode & 0777));
}

static void
do_keys(struct init *in)
{
	struct cred_err	 err;
	char		*path, pass[1024], hex[2 * CRED_KEYID_LEN + 1];
	uint8_t		 id[CRED_KEYID_LEN];
	size_t		 passlen = 0;
	int		 i, asked = 0;

	for (i = 0; i < NKEYS; i++) {
		if (i == K_BOP && !in->local)
			continue;
		path = xasprintf("%s/keys/%s", in->home, key_names[i]);
		if (!in->force && access(path, F_OK) == 0) {
			in->key[i] = load_private_or_die(path, &in->pass);
			cred_keyid(in->key[i], id);
			printf("kept    keys/%s (key id %s)\n", key_names[i],
			    keyid_hex(id, hex));
			/* A lost .pub is remade from the private key. */
			free(path);
			path = xasprintf("%s/keys/%s.pub", in->home,
			    key_names[i]);
			if (access(path, F_OK) != 0) {
				char	*text;
				size_t	 len;

				text = cred_key_pem(in->key[i], 0, NULL, 0,
				    &len, &err);
				if (text == NULL || cred_write_file(path, text,
				    len, 0600, 0, &err) < 0)
					fatalx("%s", err.msg);
				free(text);
				printf("created keys/%s.pub\n", key_names[i]);
			}
			free(path);
			continue;
		}
		if (!asked) {
			/* One passphrase for the four keys, as asked once. */
			passlen = new_passphrase(&in->pass, in->home,
			    pass, sizeof(pass));
			asked = 1;
		}
		if ((in->key[i] = cred_key_generate(&err)) == NULL ||
		    write_key_pair(path, in->key[i], pass, passlen, in->force,
		    &err) < 0)
			fatalx("%s", err.msg);
		in->fresh[i] = 1;
		cred_keyid(in->key[i], id);
		printf("created keys/%s%s and keys/%s.pub (key id %s)\n",
		    key_names[i], passlen > 0 ? " (encrypted)" : "",
		    key_names[i], keyid_hex(id, hex));
		free(path);
	}
	OPENSSL_cleanse(pass, sizeof(pass));
}

/* 1 when the file is a certificate of that type from signer for subject. */
static int
cert_matches(const char *path, EVP_PKEY *signer, EVP_PKEY *subject,
    enum cred_type type)
{
	struct cred_cert	 c;
	struct cred_err		 err;
	uint8_t			 a[CRED_KEYID_LEN], s[CRED_KEYID_LEN];
	X509			*x;
	int			 ok;

	if ((x = cred_x509_load(path, &err)) == NULL)
		return 0;
	if (cred_cert_decode(x, path, &c, &err) < 0) {
		X509_free(x);
		return 0;
	}
	cred_keyid(signer, a);
	cred_keyid(subject, s);
	ok = c.info.type == type && memcmp(c.aki, a, sizeof(a)) == 0 &&
	    memcmp(c.ski, s, sizeof(s)) == 0 &&
	    X509_verify(x, signer) == 1;
	cred_cert_clear(&c);
	X509_free(x);
	return ok;
}

static void
do_certs(struct init *in)
{
	struct cred_issue	 is;
	struct cred_err		 err;
	char			*path, *pem, info[32];
	size_t			 i, len;
	X509			*x;

	for (i = 0; i < sizeof(certs) / sizeof(certs[0]); i++) {
		EVP_PKEY	*sg = in->key[certs[i].signer];
		EVP_PKEY	*sb = in->key[certs[i].subject];

		if (sg == NULL || sb == NULL)	/* k_bop without a local broker */
			continue;
		path = xasprintf("%s/certs/%s", in->home, certs[i].file);
		if (!in->force && access(path, F_OK) == 0) {
			if (cert_matches(path, sg, sb, certs[i].type)) {
				printf("kept    certs/%s\n", certs[i].file);
				free(path);
				continue;
			}
			printf("certs/%s does not match the keys: ",
			    certs[i].file);
		}
		memset(&is, 0, sizeof(is));
		is.type = certs[i].type;
		is.pathlen = -1;
		is.not_before = in->not_before;
		is.not_after = in->not_after;
		snprintf(info, sizeof(info), "cert_type=%s;",
		    cred_type_name(certs[i].type));
		is.info = info;
		if ((x = cred_cert_issue(&is, sb, sg, &err)) == NULL ||
		    (pem = cred_x509_pem(x, &len, &err)) == NULL ||
		    cred_write_file(path, pem, len, 0600, 1, &err) < 0)
			fatalx("%s", err.msg);
		printf("created certs/%s (%s, %s -> %s)\n", certs[i].file,
		    cred_type_name(certs[i].type),
		    key_names[certs[i].signer], key_names[certs[i].subject]);
		free(pem);
		X509_free(x);
		free(path);
	}
}

static void
do_csrs(struct init *in)
{
	struct cred_csr	 c;
	struct cred_err	 err;
	X509_REQ	*req;
	uint8_t		 raw[CRED_RAWKEY_LEN];
	char		*path, *pem;
	size_t		 i, len;
	int		 keep;

	for (i = 0; i < sizeof(csrs) / sizeof(csrs[0]); i++) {
		path = xasprintf("%s/csrs/%s", in->home, csrs[i].file);
		keep = 0;
		if (!in->force && (req = cred_csr_load(path, NULL)) != NULL) {
			cred_key_raw(in->key[csrs[i].key], raw);
			if (cred_csr_decode(req, path, &c, NULL) == 0) {
				keep = memcmp(c.key, raw, sizeof(raw)) == 0;
				cred_csr_clear(&c);
			}
		}
		if (keep) {
			printf("kept    csrs/%s\n", csrs[i].file);
			free(path);
			continue;
		}
		if ((req = cred_csr_make(in->key[csrs[i].key], 1, -1,
		    csrs[i].info, NULL, &err)) == NULL ||
		    (pem = cred_csr_pem(req, &len, &err)) == NULL ||
		    cred_write_file(path, pem, len, 0600, 1, &err) < 0)
			fatalx("%s", err.msg);
		printf("created csrs/%s (%s)\n", csrs[i].file, csrs[i].info);
		free(pem);
		X509_REQ_free(req);
		free(path);
	}
}

static void
do_configs(struct init *in)
{
	char	*text;

	text = xpmgr_conf(in, 0);
	write_config(in, "xpmgr.conf", text);
	free(text);
	text = xpmgr_conf(in, 1);
	write_config(in, "xpmgr.proxy.conf", text);
	free(text);
	text = endpt_conf(in);
	write_config(in, "endpt.conf", text);
	free(text);
	if (in->local) {
		text = broker_conf(in);
		write_config(in, "broker.conf", text);
		free(text);
	}
}

static void
write_config(struct init *in, const char *name, const char *text)
{
	struct cred_err	 err;
	char		*path = xasprintf("%s/%s", in->home, name);

	if (!in->force && access(path, F_OK) == 0)
		printf("kept    %s (not replaced; --force would)\n", name);
	else if (cred_write_file(path, text, strlen(text), 0600, 1, &err) < 0)
		fatalx("%s", err.msg);
	else
		printf("created %s\n", name);
	free(path);
}

/*
 * The effective lines are exactly those of certs spec §6, in that order,
 * so pktxpmgr reads the file as 1.1.0's tutorial expects, and
 * `printf 'ExpExec ...\n' >> xpmgr.conf` appends a line of its own.
 */
static char *
xpmgr_conf(struct init *in, int proxy)
{
	const char	*h = in->home;
	char		*bop, *broot, *pub, *s;

	bop = xasprintf("%s/keys/%s.pub", h, in->local ? "k_bop" : "caida_k_bop");
	if (in->local || access(bop, R_OK) == 0)
		broot = xasprintf("BrokerCertRootPath %s\n", bop);
	else
		broot = xasprintf(
		    "# BrokerCertRootPath %s\n"
		    "#   Left out: the broker operator's key caida_k_bop.pub is\n"
		    "#   CAIDA's and does not come with pktxpmgr.  Without it the\n"
		    "#   broker's agent certificate is checked for form only.\n"
		    "#   Copy the key there and remove the '# ' to pin the broker.\n",
		    bop);
	if (in->publish)
		pub = xasprintf(
		    "# Publish the experiments below to a broker, for a year.\n"
		    "EnableExpPublication 1\n"
		    "BrokerAddr %s\n"
		    "PubAgentCertPath %s/certs/agent_xc_xc.cert\n"
		    "%s"
		    "PubPeriod 31536000000000000\n", in->local ? in->pub_addr :
		    in->broker, h, broot);
	else
		pub = xasprintf(
		    "# Publication is off: no broker is ever contacted.  To turn\n"
		    "# it on set 1 and add \"BrokerAddr %s\".\n"
		    "EnableExpPublication 0\n"
		    "PubAgentCertPath %s/certs/agent_xc_xc.cert\n"
		    "%s"
		    "PubPeriod 31536000000000000\n", in->broker, h, broot);
	s = xasprintf(
	    "# %s: pktxpmgr configuration made by `pktlab-cred init`\n"
	    "# (the effective lines of PacketLab 1.1.0's %s).\n"
	    "# A line is \"Key Value\"; lines starting with '#' are comments.\n"
	    "\n"
	    "%s"
	    "\n"
	    "# The controller's TLS key; its certificate leads the chain below.\n"
	    "ControllerPrivkeyPath %s/keys/k_xc\n"
	    "# IS_DEFAULT:SNIKEY:EXPPRIVCHAIN_PATH:TRUSTEDEOP_PATH:PUB_CHANNEL:"
	    "OVERRIDE\n"
	    "# One default entry, a random SNI key, the chain granted by the\n"
	    "# endpoint operator k_eop, published on k_eop's key channel.\n"
	    "ExpExec 1::%s/certs/exppriv_eop_exper.cert,%s/certs/"
	    "pubcmd_exper_xc.cert:%s/keys/k_eop.pub::\n"
	    "# Monitor programs, sent to endpoints by digest.\n"
	    "ProgramDirPath %s/progs\n"
	    "%s",
	    proxy ? "xpmgr.proxy.conf" : "xpmgr.conf",
	    proxy ? "example.xpmgr.proxy.conf" : "example.xpmgr.conf",
	    pub, h, h, h, h, h,
	    proxy ?
	    "\n"
	    "# Active mode: endpoints reach this controller through a proxy\n"
	    "# (pktxpmgr -a PROXY), over backlog connections opened to it.\n"
	    "EnableProxyMode 1\n" : "");
	free(pub);
	if (proxy) {
		pub = s;
		s = xasprintf("%s"
		    "BacklogConnAgentCertPath %s/certs/agent_xc_xc.cert\n"
		    "TargetBacklogConn 2\n"
		    "BacklogConnTimeout 2000000000\n"
		    "BootstrapBacklogTimeout 5000000000\n"
		    "# ProxyCertRootPath is not set: the proxy's agent "
		    "certificate\n"
		    "# is checked for form only.\n", pub, h);
		free(pub);
	}
	free(broot);
	free(bop);
	return s;
}

static char *
endpt_conf(struct init *in)
{
	const char	*h = in->home;

	if (in->local)
		return xasprintf(
		    "# endpt.conf: pktlab-endpoint configuration made by `pktlab-cred "
		    "init\n"
		    "# --broker %s`: without an address, pktlab-endpoint subscribes "
		    "to\n"
		    "# the local pktlab-broker and runs the experiments it is sent.\n"
		    "# A line is \"Key Value\"; lines starting with '#' are comments.\n"
		    "\n"
		    "# The endpoint's TLS key and the chain it presents to "
		    "controllers.\n"
		    "EndpointPrivKey %s/keys/k_ep\n"
		    "ControllerCertChainPath %s/certs/subcmd_eop_ep.cert\n"
		    "# The operator keys a controller's experiment chain must be "
		    "rooted at.\n"
		    "EndpointOpPubKeyPath %s/keys/k_eop.pub\n"
		    "\n"
		    "# Broker subscription (PacketLab 1.1.0's directives).\n"
		    "NoSubMode 0\n"
		    "BrokerAddr %s\n"
		    "# The broker's agent certificate must be issued by this key.\n"
		    "BrokerChainRootPath %s/keys/k_bop.pub\n"
		    "EndpointAgentCertPath %s/certs/agent_ep_ep.cert\n"
		    "# The subscription privilege chain, leaf first.\n"
		    "SubPrivCertChainPath %s/certs/subcmd_eop_ep.cert\n"
		    "# Subscribe to the private channels the chain grants "
		    "(keyid of k_eop).\n"
		    "AutoExtractChannel 1\n"
		    "# Attributes matched against a publication's descriptor, "
		    "e.g. the\n"
		    "# host id that `pktxpmgr -i` selects:\n"
		    "# EndpointAttr hostid=ep1;\n",
		    in->broker, h, h, h, in->sub_addr, h, h, h);
	return xasprintf(
	    "# endpt.conf: pktlab-endpoint configuration made by `pktlab-cred "
	    "init`.\n"
	    "# A line is \"Key Value\"; lines starting with '#' are comments.\n"
	    "\n"
	    "# The endpoint's TLS key and the chain it presents to "
	    "controllers.\n"
	    "EndpointPrivKey %s/keys/k_ep\n"
	    "ControllerCertChainPath %s/certs/subcmd_eop_ep.cert\n"
	    "# The operator keys a controller's experiment chain must be "
	    "rooted at.\n"
	    "EndpointOpPubKeyPath %s/keys/k_eop.pub\n"
	    "\n"
	    "# Broker subscription (pktlab-endpoint without an address, as\n"
	    "# PacketLab 1.1.0's pktendpt); unused when an address is given:\n"
	    "# EndpointAgentCertPath %s/certs/agent_ep_ep.cert\n"
	    "# SubPrivCertChainPath %s/certs/subcmd_eop_ep.cert\n"
	    "# BrokerChainRootPath %s/keys/caida_k_bop.pub\n"
	    "# BrokerAddr pktbrokr.caida.org\n"
	    "# AutoExtractChannel 1\n",
	    h, h, h, h, h, h);
}

/*
 * --broker naming this machine (127.0.0.0/8, ::1, localhost) means a
 * pktlab-broker of our own: its key k_bop, its agent certificate and
 * broker.conf are made, and every configuration uses its ports: 20566 for
 * publishers and 20567 for subscribers, or PORT and PORT+1 when given.
 */
static void
local_broker_opt(struct init *in)
{
	struct pl_hostport	 hp;
	char			 why[256], host[PL_HOST_MAX + 3];
	unsigned		 pub;

	if (pl_addr_split(in->broker, LOCAL_PUB_PORT, &hp, why, sizeof(why)) == -1)
		usage_fail("init", "--broker %s", why);
	if (!((hp.is_ipv4 && strncmp(hp.host, "127.", 4) == 0) ||
	    (hp.is_ipv6 && strcmp(hp.host, "::1") == 0) ||
	    strcmp(hp.host, "localhost") == 0))
		return;
	pub = hp.port;
	if (pub == 65535)
		usage_fail("init", "--broker %s: a local broker needs PORT and "
		    "PORT+1", in->broker);
	in->local = 1;
	/* 1.1.0 endpoints split BrokerAddr at the first ':', so no [::1]. */
	if (hp.is_ipv6)
		fatalx("--broker %s: a 1.1.0 endpoint cannot reach a broker at an "
		    "IPv6 address; use 127.0.0.1", in->broker);
	snprintf(host, sizeof(host), "%s", hp.host);
	in->pub_addr = xasprintf("%s:%u", host, pub);
	in->sub_addr = xasprintf("%s:%u", host, pub + 1);
}

static char *
broker_conf(struct init *in)
{
	const char	*h = in->home;

	return xasprintf(
	    "# broker.conf: pktlab-broker configuration made by `pktlab-cred "
	    "init\n"
	    "# --broker %s`.  A line is \"Key Value\"; lines starting with '#'\n"
	    "# are comments.  See pktlab-broker(1).\n"
	    "\n"
	    "# The broker's TLS key (the broker operator key k_bop) and its one\n"
	    "# agent certificate; xpmgr.conf and endpt.conf pin k_bop.pub.\n"
	    "BrokerPrivKeyPath %s/keys/k_bop\n"
	    "BrokerAgentCertPath %s/certs/agent_bop_bop.cert\n"
	    "# pktxpmgr publishes here (its BrokerAddr) ...\n"
	    "PubListen %s\n"
	    "# ... and endpoints subscribe here (their BrokerAddr).\n"
	    "SubListen %s\n"
	    "# Client agent certificates are accepted from any issuer; to admit\n"
	    "# only some, list the issuers' public keys:\n"
	    "# ClientCertRootPath %s/keys/k_xc.pub,%s/keys/k_ep.pub\n",
	    in->broker, h, h, in->pub_addr, in->sub_addr, h, h);
}

/*
 * What pktlab-proxy needs to run on this machine with the same home: its
 * own key k_proxy (kept when there), its agent certificate (self-signed,
 * like agent_xc_xc; remade when it does not match the key) and
 * proxy.conf listening on loopback.
 */
static void
do_proxy(struct init *in)
{
	struct cred_issue	 is;
	struct cred_err		 err;
	EVP_PKEY		*k;
	X509			*x;
	char			*key, *cert, *pem, *text, pass[1024];
	size_t			 len, passlen;

	key = xasprintf("%s/keys/k_proxy", in->home);
	cert = xasprintf("%s/certs/agent_proxy_proxy.cert", in->home);
	if (!in->force && access(key, F_OK) == 0) {
		k = load_private_or_die(key, &in->pass);
		printf("kept    keys/k_proxy\n");
	} else {
		passlen = new_passphrase(&in->pass, in->home, pass,
		    sizeof(pass));
		if ((k = cred_key_generate(&err)) == NULL ||
		    write_key_pair(key, k, pass, passlen, in->force, &err) < 0)
			fatalx("%s", err.msg);
		OPENSSL_cleanse(pass, sizeof(pass));
		printf("created keys/k_proxy and keys/k_proxy.pub\n");
	}
	if (!in->force && access(cert, F_OK) == 0 &&
	    cert_matches(cert, k, k, CRED_AGENT))
		printf("kept    certs/agent_proxy_proxy.cert\n");
	else {
		memset(&is, 0, sizeof(is));
		is.type = CRED_AGENT;
		is.pathlen = -1;
		is.not_before = in->not_before;
		is.not_after = in->not_after;
		is.info = "cert_type=agent;";
		if ((x = cred_cert_issue(&is, k, k, &err)) == NULL ||
		    (pem = cred_x509_pem(x, &len, &err)) == NULL ||
		    cred_write_file(cert, pem, len, 0600, 1, &err) < 0)
			fatalx("%s", err.msg);
		printf("created certs/agent_proxy_proxy.cert (agent, k_proxy "
		    "-> k_proxy)\n");
		free(pem);
		X509_free(x);
	}
	text = xasprintf(
	    "# proxy.conf: pktlab-proxy configuration made by `pktlab-cred init`.\n"
	    "# A line is \"Key Value\"; lines starting with '#' are comments.\n"
	    "# See pktlab-proxy(1) for every directive.\n"
	    "\n"
	    "# The proxy's TLS key and its one agent certificate.  pktxpmgr\n"
	    "# pins it with \"ProxyCertRootPath %s/keys/k_proxy.pub\".\n"
	    "ProxyPrivKeyPath %s\n"
	    "ProxyAgentCertPath %s\n"
	    "\n"
	    "# Controllers register here (pktxpmgr -a 127.0.0.1); endpoints dial\n"
	    "# the other port with the entry's SNI key.  Loopback only: use\n"
	    "# 0.0.0.0 to serve other machines.\n"
	    "ControllerAddr 127.0.0.1:20557\n"
	    "EndpointAddr 127.0.0.1:20556\n"
	    "\n"
	    "# How long an endpoint waits for a free backlog connection.\n"
	    "HoldTimeout 2s\n", in->home, key, cert);
	write_config(in, "proxy.conf", text);
	free(text);
	EVP_PKEY_free(k);
	free(key);
	free(cert);
}
