/*
 * fuzz_conf.c: libFuzzer harness for pktxpmgr's configuration parser (the
 * Key Value lexer, every directive, ExpExec and its overrides), then the
 * command-line merge, random SNIKEYs and the -t summary on what it
 * accepted.  Properties checked on every accepted input: the rules the
 * daemon relies on (SNIKEYs valid and distinct, at most one default,
 * overrides valid ';'-terminated descriptors, channels 0..32 bytes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pktlab/nvp.h>
#include <pktlab/wire.h>

#include "conf/xpconf.h"
#include "require.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Deterministic "random" bytes, so a crash reproduces. */
static int
fuzz_rand(void *ctx, uint8_t *buf, size_t n)
{
	uint8_t	*seed = ctx;
	size_t	 i;

	for (i = 0; i < n; i++)
		buf[i] = (uint8_t)(*seed += 97);
	return 0;
}

static void
check_accepted(const struct xpmgr_conf *c)
{
	size_t	 i, j, defaults = 0;
	int	 infer;

	REQUIRE(c->nexp >= 1);
	REQUIRE(c->ctrl_key != NULL);
	REQUIRE(!c->enable_pub || (c->broker_addr != NULL && c->pub_agent_cert != NULL));
	REQUIRE(c->target_backlog > 0 && c->handshake_timeout > 0 && c->setup_timeout > 0);
	for (i = 0; i < c->nexp; i++) {
		const struct xpmgr_expexec *e = &c->exp[i];

		defaults += e->is_default;
		REQUIRE(pl_snikey_valid(e->snikey, strlen(e->snikey)));
		for (j = 0; j < i; j++)
			REQUIRE(strcmp(e->snikey, c->exp[j].snikey) != 0);
		REQUIRE(e->chain.n >= 1);
		REQUIRE(e->nchan >= 1 && e->nchan <= PL_CHLIST_MAX);
		for (j = 0; j < e->nchan; j++)
			REQUIRE(e->chan[j].len <= PL_CHANNEL_MAX);
		REQUIRE(strlen(e->override) == e->overridelen);
		REQUIRE(e->overridelen == 0 || e->override[e->overridelen - 1] == ';');
		REQUIRE(pl_nvp_validate(e->override, e->overridelen, PL_NVP_XDESCR,
		    NULL) >= 0);
		REQUIRE(pl_nvp_count(e->override, e->overridelen, PL_NVP_XDESCR,
		    "sni_key") == 0);
		(void)xpmgr_conf_ctrl_addr(c, e, &infer);
	}
	REQUIRE(defaults <= 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char		*argv[] = { "pktxpmgr", "-a", "127.0.0.1:20600", "-n",
				    "2", "-p", "ctrl.example", "-i", "ep*", "/bin/mlet",
				    "x", NULL };
	struct xpmgr_conf	 c;
	struct xpmgr_cli	 cli;
	char			 err[XPMGR_ERRLEN], *text;
	uint8_t			 seed = (uint8_t)size;
	size_t			 i;

	if (xpmgr_conf_parse(&c, "/etc/pktlab/fuzz.conf", (const char *)data, size,
	    err, sizeof(err)) == -1) {
		REQUIRE(strncmp(err, "/etc/pktlab/fuzz.conf:", 22) == 0);
		xpmgr_conf_free(&c);
		return 0;
	}
	for (i = 0; i < c.ndiag; i++)
		REQUIRE(c.diag[i].msg != NULL);
	REQUIRE(xpmgr_cli_parse(11, argv, &cli, err, sizeof(err)) == 0);
	if (xpmgr_conf_apply_cli(&c, &cli, err, sizeof(err)) == 0 &&
	    xpmgr_conf_finish(&c, fuzz_rand, &seed, err, sizeof(err)) == 0) {
		check_accepted(&c);
		text = xpmgr_conf_summary(&c, NULL);
		REQUIRE(text != NULL);
		free(text);
	}
	xpmgr_conf_free(&c);
	return 0;
}
