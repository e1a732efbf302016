-- pktlab.lua: a Wireshark/tshark dissector for the PacketLab 1.1.0 messages
-- that `pktxpmgr -o DIR --trace` writes to DIR/sNN-ADDR.pcap.
--
-- Link type LINKTYPE_USER0 (147).  Each record is a 4-byte pseudo-header
--   byte 0  version (1)
--   byte 1  direction: 0 endpoint -> mlet, 1 mlet -> endpoint
--   byte 2  flags: 0x01 intercepted by pktxpmgr (its own set-up messages:
--           cdata, start and their results; linfo, which it consumes)
--   byte 3  0
-- followed by one whole PacketLab message: type (1 byte), body length
-- (24-bit big-endian), body.  Every message type of the protocol spec is
-- decoded with named fields (docs/results.md lists them).
--
-- Use:  wireshark -X lua_script:pktlab.lua s1-192.0.2.7.pcap
--       tshark -X lua_script:pktlab.lua -r s1-192.0.2.7.pcap -V
-- or copy it to ~/.local/lib/wireshark/plugins/.

local p = Proto("pktlab", "PacketLab")

local TYPES = {
	[0x20] = "cdata", [0x21] = "start", [0x22] = "end", [0x23] = "yield",
	[0x24] = "cont", [0x28] = "mread", [0x29] = "mwrite", [0x2A] = "nopen",
	[0x2B] = "nclose", [0x2C] = "nsend", [0x2D] = "ncap", [0x2E] = "nctl",
	[0x30] = "xcert", [0x31] = "xpub", [0x38] = "xsub", [0x40] = "result",
	[0x41] = "mdata", [0x60] = "ntag", [0x61] = "nstat", [0x62] = "ndata",
	[0x63] = "ndrop", [0x64] = "nblock", [0x65] = "linfo", [0x68] = "suspd",
	[0x69] = "resumd", [0x70] = "xnotify", [0x80] = "xreg",
}

local ERRORS = {
	[0x0000] = "SUCCESS", [0x0010] = "ECTLBADMSG", [0x0011] = "ECTLNOTSUP",
	[0x0012] = "ECTLMONREJ", [0x0013] = "ECTLMONUKN", [0x0020] = "ECRTBADHDAT",
	[0x0021] = "ECRTNOHDAT", [0x0022] = "ECRTBADFRM", [0x0023] = "ECRTNOSPACE",
	[0x0024] = "ECRTBADHINT", [0x0030] = "ESYSNOBUFS", [0x0031] = "ESYSNOPERM",
	[0x0032] = "ESKTINUSE", [0x0033] = "ESKTNOTOPEN", [0x0034] = "ESKTNOPRFAM",
	[0x0035] = "ESKTNOPROTO", [0x0036] = "ESKTNOADDR", [0x0037] = "ESKTNOMATCH",
	[0x0038] = "ESKTBADFILT", [0x0039] = "ESKTPKTDENY", [0x003A] = "ESKTOPNDENY",
	[0x0040] = "ETCPNOPORT", [0x0041] = "EPKTNOTSENT", [0x0042] = "EUDPNOPORT",
	[0x0043] = "EPKTTRUNC", [0x0044] = "ENORES", [0x0048] = "EMEMBADADR",
	[0x0050] = "EPUBBADCHL", [0x0051] = "EPUBBADCHN", [0x0052] = "EPUBBADADDR",
	[0x0053] = "EPUBBADPR", [0x0054] = "EPUBBADXD", [0x0060] = "ESUBBADCHL",
	[0x0061] = "ESUBBADCHN", [0x0062] = "ESUBBADDA", [0xFFFF] = "EUNKFAULT",
}

local DIRS = { [0] = "endpoint -> mlet", [1] = "mlet -> endpoint" }
local FAMILIES = { [0x04] = "IPv4", [0x06] = "IPv6" }
local PROTOS = { [0x00] = "RAW", [0x06] = "TCP", [0x11] = "UDP" }
local NSTAT = { [0] = "ESTABLISHED", [1] = "RESET", [2] = "TIMEOUT",
	[3] = "PEERCLOSED", [0xFF] = "UNKNOWN" }
local NCTL = { [0x01] = "TCP_FIN" }
local PROGTYPES = { [0x00] = "eBPF", [0x01] = "WASM" }

local F = {}
local function field(name, ftype, abbr, desc, base, strings)
	F[name] = ProtoField.new(desc, "pktlab." .. abbr, ftype, strings, base)
end

-- Pseudo-header.
field("version", ftypes.UINT8, "trace.version", "Trace pseudo-header version", base.DEC)
field("dir", ftypes.UINT8, "dir", "Direction", base.DEC, DIRS)
field("flags", ftypes.UINT8, "flags", "Flags", base.HEX)
field("intercepted", ftypes.BOOLEAN, "intercepted", "Intercepted by pktxpmgr")
-- Header.
field("type", ftypes.UINT8, "type", "Type", base.HEX, TYPES)
field("len", ftypes.UINT32, "len", "Body length", base.DEC)
field("body", ftypes.BYTES, "body", "Body")
-- Common.
field("sktid", ftypes.UINT8, "sktid", "Socket id", base.DEC)
field("family", ftypes.UINT8, "family", "Family", base.HEX, FAMILIES)
field("proto", ftypes.UINT8, "proto", "Protocol", base.HEX, PROTOS)
field("time", ftypes.UINT64, "time", "Time (ns since the epoch)", base.DEC)
field("abstime", ftypes.ABSOLUTE_TIME, "time.abs", "As UTC time", base.UTC)
field("errid", ftypes.UINT16, "errid", "Error", base.HEX, ERRORS)
field("errname", ftypes.STRING, "errname", "Error name")
field("monindx", ftypes.UINT16, "monindx", "Monitor index", base.DEC)
field("monerrid", ftypes.UINT16, "monerrid", "Monitor error", base.HEX)
-- Addresses and ports.
field("laddr", ftypes.IPv4, "laddr", "Local address")
field("laddr6", ftypes.IPv6, "laddr6", "Local address")
field("lport", ftypes.UINT16, "lport", "Local port", base.DEC)
field("raddr", ftypes.IPv4, "raddr", "Remote address")
field("raddr6", ftypes.IPv6, "raddr6", "Remote address")
field("rport", ftypes.UINT16, "rport", "Remote port", base.DEC)
field("rbufsz", ftypes.UINT32, "rbufsz", "Receive buffer size", base.DEC)
-- nsend, ndata.
field("tag", ftypes.UINT16, "tag", "Tag", base.DEC)
field("payload", ftypes.BYTES, "payload", "Payload")
field("payload_len", ftypes.UINT32, "payload_len", "Payload length", base.DEC)
-- mread, mwrite, mdata.
field("addr", ftypes.UINT32, "addr", "Memory address", base.HEX)
field("mlen", ftypes.UINT16, "mlen", "Read length", base.DEC)
field("data", ftypes.BYTES, "data", "Data")
field("data_len", ftypes.UINT32, "data_len", "Data length", base.DEC)
-- cdata, ncap: programs.
field("hintlen", ftypes.UINT8, "hintlen", "Hint length", base.DEC)
field("hint", ftypes.STRING, "hint", "Hint")
field("progtype", ftypes.UINT8, "prog.type", "Program type", base.HEX, PROGTYPES)
field("prog", ftypes.BYTES, "prog", "Program")
field("endtime", ftypes.UINT64, "endtime", "Capture end time (ns)", base.DEC)
-- yield, nctl, nstat, ndrop.
field("rhint", ftypes.UINT64, "rhint", "Resume hint (ns)", base.DEC)
field("nctl_cmd", ftypes.UINT8, "nctl.cmd", "Command", base.HEX, NCTL)
field("nstat_code", ftypes.UINT8, "nstat.code", "Status", base.DEC, NSTAT)
field("tfirst", ftypes.UINT64, "tfirst", "First drop (ns)", base.DEC)
field("tlast", ftypes.UINT64, "tlast", "Last drop (ns)", base.DEC)
field("unitcnt", ftypes.UINT32, "unitcnt", "Units dropped", base.DEC)
field("bytecnt", ftypes.UINT32, "bytecnt", "Bytes dropped", base.DEC)
-- linfo.
field("namelen", ftypes.UINT32, "linfo.namelen", "Name length", base.DEC)
field("auxlen", ftypes.UINT32, "linfo.auxlen", "Aux length", base.DEC)
field("infolen", ftypes.UINT32, "linfo.infolen", "Info length", base.DEC)
field("lname", ftypes.STRING, "linfo.name", "Name")
field("aux", ftypes.BYTES, "linfo.aux", "Aux")
field("info", ftypes.BYTES, "linfo.info", "Info")
-- Broker and proxy messages.
field("cert", ftypes.BYTES, "xcert.cert", "Certificate (DER)")
field("chlen", ftypes.UINT8, "channel.len", "Channel length", base.DEC)
field("channel", ftypes.BYTES, "channel", "Channel")
field("eopkey", ftypes.BYTES, "eopkey", "Endpoint operator key")
field("nvp", ftypes.STRING, "nvp", "Name-value pairs")
field("snikey", ftypes.STRING, "snikey", "SNI key")

local list = {}
for _, f in pairs(F) do
	list[#list + 1] = f
end
p.fields = list

local ef_malformed = ProtoExpert.new("pktlab.malformed", "Malformed message",
	expert.group.MALFORMED, expert.severity.ERROR)
local ef_truncated = ProtoExpert.new("pktlab.truncated", "Message captured in part",
	expert.group.UNDECODED, expert.severity.NOTE)
local ef_error = ProtoExpert.new("pktlab.error", "Error result",
	expert.group.RESPONSE_CODE, expert.severity.WARN)
p.experts = { ef_malformed, ef_truncated, ef_error }

-- A body cursor: fields in order, stopping cleanly at the end of the capture.
local Body = {}
Body.__index = Body

local function body_new(tvb, tree, off, len)
	return setmetatable({ tvb = tvb, tree = tree, off = off, stop = off + len,
		caplen = tvb:len(), ok = true }, Body)
end

function Body:left()
	return self.stop - self.off
end

-- The range [off, off+n) if it was captured, else nil (and the body is cut).
function Body:take(n)
	if n < 0 or self.off + n > self.stop then
		self.ok = false
		return nil
	end
	if self.off + n > self.caplen then
		self.cut = true
		return nil
	end
	local r = self.tvb(self.off, n)
	self.off = self.off + n
	return r
end

function Body:add(f, n)
	local r = self:take(n)
	if r ~= nil then
		self.tree:add(f, r)
	end
	return r
end

function Body:u(f, n)
	local r = self:add(f, n)
	if r == nil then
		return nil
	end
	return r:uint()
end

-- A u64; pktlab times (ns since the epoch) also shown as UTC below them.
function Body:u64(f, is_time)
	local r = self:take(8)
	if r == nil then
		return nil
	end
	local v = r:uint64()
	local item = self.tree:add(f, r)
	if is_time and v == UInt64(0) then
		item:append_text(" (as soon as possible)")
	elseif is_time and v == UInt64.max() then
		item:append_text(" (forever)")
	elseif is_time then
		local secs = (v / 1000000000):tonumber()
		local ns = (v % 1000000000):tonumber()
		item:add(F.abstime, r, NSTime.new(secs, ns)):set_generated()
	end
	return v
end

-- The rest of the body as bytes (what was captured of it), with its length.
function Body:rest(f, flen)
	local n = self:left()
	self.tree:add(flen, n):set_generated()
	if n == 0 then
		return 0
	end
	local have = math.min(n, self.caplen - self.off)
	if have > 0 then
		self.tree:add(f, self.tvb(self.off, have))
	end
	if have < n then
		self.cut = true
	end
	self.off = self.stop
	return n
end

function Body:bytes(f, n)
	if n == 0 then
		return
	end
	local have = math.min(n, self.caplen - self.off)
	if self.off + n > self.stop then
		self.ok = false
		return
	end
	if have > 0 then
		self.tree:add(f, self.tvb(self.off, have))
	end
	if have < n then
		self.cut = true
	end
	self.off = self.off + n
end

local function addr(b, family, f4, f6)
	if family == 0x06 then
		local r = b:add(f6, 16)
		return r and tostring(r:ipv6()) and ("[" .. tostring(r:ipv6()) .. "]")
	end
	local r = b:add(f4, 4)
	return r and tostring(r:ipv4())
end

local function skt(b)
	local id = b:u(F.sktid, 1)
	local fam = b:u(F.family, 1)
	local pr = b:u(F.proto, 1)
	return id, fam, pr
end

local function program(b, n)
	if n < 1 then
		b.ok = false
		return
	end
	b:u(F.progtype, 1)
	b:bytes(F.prog, n - 1)
end

local function err_result(b, e, pinfo)
	local name = ERRORS[e] or string.format("0x%04x", e)
	b.tree:add(F.errname, name):set_generated()
	if e ~= 0 then
		b.tree:add_proto_expert_info(ef_error, "Error result: " .. name)
	end
	return name
end

local function sockinfo(id, fam, pr)
	return string.format("skt %s %s/%s", id or "?", FAMILIES[fam] or "?",
		PROTOS[pr] or "?")
end

-- One decoder per type: (body cursor, body length, pinfo) -> info text.
local D = {}

D[0x40] = function(b, n, pinfo) -- result
	local e = 0
	if n == 0 then
		b.tree:add(F.errid, 0):set_generated()
	elseif n == 2 or n == 4 or n == 6 then
		e = b:u(F.errid, 2) or 0
		if e == 0x12 or e == 0x13 then
			b:u(F.monindx, 2)
		end
		if e == 0x12 then
			b:u(F.monerrid, 2)
		end
	else
		b.ok = false
	end
	return err_result(b, e, pinfo)
end

D[0x41] = function(b, n) -- mdata
	local a = b:u(F.addr, 4)
	local len = b:rest(F.data, F.data_len)
	return string.format("addr 0x%08x, %d bytes", a or 0, len)
end

D[0x20] = function(b, n) -- cdata
	local hl = b:u(F.hintlen, 1) or 0
	local r = b:take(hl)
	local hint = ""
	if r ~= nil then
		hint = r:string()
		b.tree:add(F.hint, r)
	end
	program(b, b:left())
	return string.format("hint \"%s\", %d-byte program", hint, math.max(n - 1 - hl, 0))
end

for _, t in ipairs({ 0x21, 0x22, 0x24, 0x68, 0x69 }) do
	D[t] = function(b, n)
		if n ~= 0 then
			b.ok = false
		end
		return ""
	end
end

D[0x23] = function(b) -- yield
	local t = b:u64(F.rhint, true)
	return "rhint " .. tostring(t)
end

D[0x28] = function(b) -- mread
	local a = b:u(F.addr, 4)
	local l = b:u(F.mlen, 2)
	return string.format("addr 0x%08x, %d bytes", a or 0, l or 0)
end

D[0x29] = function(b) -- mwrite
	local a = b:u(F.addr, 4)
	local len = b:rest(F.data, F.data_len)
	return string.format("addr 0x%08x, %d bytes", a or 0, len)
end

D[0x2A] = function(b, n) -- nopen
	local id, fam, pr = skt(b)
	b:u(F.rbufsz, 4)
	local al = fam == 0x06 and 16 or 4
	local la = addr(b, fam, F.laddr, F.laddr6)
	local text = sockinfo(id, fam, pr) .. " " .. (la or "?")
	if pr == 0x11 or (pr == 0x06 and b:left() > 0) then
		local lp = b:u(F.lport, 2)
		text = text .. ":" .. tostring(lp)
	end
	if pr == 0x06 and b:left() == al + 2 then
		local ra = addr(b, fam, F.raddr, F.raddr6)
		local rp = b:u(F.rport, 2)
		text = text .. " -> " .. (ra or "?") .. ":" .. tostring(rp)
	end
	return text
end

D[0x2B] = function(b) -- nclose
	return "skt " .. tostring(b:u(F.sktid, 1))
end

-- nsend and ndata: after the time (and tag), UDP's peer, then the payload.
local function payload(b, fam, pr, text, word)
	if pr == 0x11 then
		local ra = addr(b, fam, F.raddr, F.raddr6)
		local rp = b:u(F.rport, 2)
		text = text .. " " .. word .. " " .. (ra or "?") .. ":" .. tostring(rp)
	end
	local len = b:rest(F.payload, F.payload_len)
	return text .. string.format(", %d bytes", len)
end

D[0x2C] = function(b) -- nsend
	local id, fam, pr = skt(b)
	b:u64(F.time, true)
	local tag = b:u(F.tag, 2)
	return payload(b, fam, pr, sockinfo(id, fam, pr) .. " tag " .. tostring(tag), "to")
end

D[0x2D] = function(b) -- ncap
	local id, fam, pr = skt(b)
	b:u64(F.endtime, true)
	program(b, b:left())
	return sockinfo(id, fam, pr)
end

D[0x2E] = function(b) -- nctl
	local id, fam, pr = skt(b)
	b:u64(F.time, true)
	local c = b:u(F.nctl_cmd, 1)
	return sockinfo(id, fam, pr) .. " " .. (NCTL[c] or tostring(c))
end

D[0x60] = function(b, n, pinfo) -- ntag
	local id = b:u(F.sktid, 1)
	local tag = b:u(F.tag, 2)
	b:u64(F.time, true)
	local e = 0
	if n == 13 then
		e = b:u(F.errid, 2) or 0
	elseif n == 11 then
		b.tree:add(F.errid, 0):set_generated()
	else
		b.ok = false
	end
	return string.format("skt %s tag %s %s", id, tag, err_result(b, e, pinfo))
end

D[0x61] = function(b, n) -- nstat
	local id, fam, pr = skt(b)
	b:u64(F.time, true)
	local text = sockinfo(id, fam, pr)
	if n == 17 or n == 29 then
		b.tree:add(F.nstat_code, 0):set_generated()
		local ra = addr(b, n == 29 and 0x06 or 0x04, F.raddr, F.raddr6)
		local rp = b:u(F.rport, 2)
		return text .. " ESTABLISHED " .. (ra or "?") .. ":" .. tostring(rp)
	end
	local c = b:u(F.nstat_code, 1)
	return text .. " " .. (NSTAT[c] or tostring(c))
end

D[0x62] = function(b) -- ndata
	local id, fam, pr = skt(b)
	b:u64(F.time, true)
	return payload(b, fam, pr, sockinfo(id, fam, pr), "from")
end

D[0x63] = function(b) -- ndrop
	local id, fam, pr = skt(b)
	b:u64(F.tfirst, true)
	b:u64(F.tlast, true)
	local u = b:u(F.unitcnt, 4)
	local by = b:u(F.bytecnt, 4)
	return string.format("%s, %s units, %s bytes", sockinfo(id, fam, pr), u, by)
end

D[0x64] = function(b) -- nblock
	local id, fam, pr = skt(b)
	local e = b:u(F.monerrid, 2)
	b:u64(F.time, true)
	return sockinfo(id, fam, pr) .. string.format(" monitor error 0x%04x", e or 0)
end

D[0x65] = function(b, n) -- linfo
	local nl = b:u(F.namelen, 4) or 0
	local al = b:u(F.auxlen, 4) or 0
	local il = b:u(F.infolen, 4) or 0
	if 12 + nl + al + il ~= n then
		b.ok = false
		return ""
	end
	local r = b:take(nl)
	local name = ""
	if r ~= nil then
		name = r:string()
		b.tree:add(F.lname, r)
	end
	b:bytes(F.aux, al)
	b:bytes(F.info, il)
	return string.format("name \"%s\", %d bytes of info", name, il)
end

D[0x30] = function(b, n) -- xcert
	b:bytes(F.cert, n)
	return string.format("%d-byte certificate", n)
end

local function chlist(b)
	local n = 0
	while b:left() > 0 do
		local l = b:u(F.chlen, 1)
		if l == nil or l == 0 then
			return n
		end
		b:bytes(F.channel, l)
		n = n + 1
	end
	b.ok = false
	return n
end

local function xpubsub(b)
	local n = chlist(b)
	b:bytes(F.eopkey, 32)
	if b:left() > 0 then
		local r = b:take(b:left())
		if r ~= nil then
			b.tree:add(F.nvp, r)
		end
	end
	return string.format("%d channel(s)", n)
end
D[0x31] = xpubsub
D[0x38] = xpubsub

D[0x70] = function(b) -- xnotify
	local l = b:u(F.chlen, 1) or 0
	b:bytes(F.channel, l)
	if b:left() > 0 then
		local r = b:take(b:left())
		if r ~= nil then
			b.tree:add(F.nvp, r)
		end
	end
	return ""
end

D[0x80] = function(b, n) -- xreg
	local r = b:take(n)
	if r ~= nil then
		b.tree:add(F.snikey, r)
		return r:string()
	end
	return ""
end

function p.dissector(tvb, pinfo, tree)
	if tvb:len() < 8 then
		return 0
	end
	local dir = tvb(1, 1):uint()
	local icpt = bit32.band(tvb(2, 1):uint(), 1) == 1
	local t = tvb(4, 1):uint()
	local n = tvb(5, 3):uint()
	local name = TYPES[t] or string.format("type 0x%02x", t)

	pinfo.cols.protocol = "PacketLab"
	if icpt then
		pinfo.cols.src = dir == 0 and "endpoint" or "pktxpmgr"
		pinfo.cols.dst = dir == 0 and "pktxpmgr" or "endpoint"
	else
		pinfo.cols.src = dir == 0 and "endpoint" or "mlet"
		pinfo.cols.dst = dir == 0 and "mlet" or "endpoint"
	end

	local root = tree:add(p, tvb(), "PacketLab " .. name)
	local ph = root:add(p, tvb(0, 4), "pktxpmgr trace pseudo-header")
	ph:add(F.version, tvb(0, 1))
	ph:add(F.dir, tvb(1, 1))
	local fl = ph:add(F.flags, tvb(2, 1))
	fl:add(F.intercepted, tvb(2, 1), icpt)
	root:add(F.type, tvb(4, 1))
	root:add(F.len, tvb(5, 3))
	root:append_text(string.format(", %s%s", DIRS[dir] or "?",
		icpt and " (intercepted by pktxpmgr)" or ""))

	local b = body_new(tvb, root, 8, n)
	local text = ""
	local dec = D[t]
	if dec ~= nil then
		text = dec(b, n, pinfo) or ""
		if b.off ~= b.stop and b.ok and not b.cut then
			b.ok = false
		end
	elseif n > 0 then
		b:bytes(F.body, n)
	end
	if not b.ok then
		root:add_proto_expert_info(ef_malformed, "Malformed " .. name)
	end
	if b.cut or tvb:reported_len() > tvb:len() then
		root:add_proto_expert_info(ef_truncated)
	end
	pinfo.cols.info = name .. (text ~= "" and (" " .. text) or "") ..
		(icpt and " [pktxpmgr]" or "")
	if text ~= "" then
		root:append_text(": " .. text)
	end
	return tvb:len()
end

local encaps = wtap_encaps or wtap
DissectorTable.get("wtap_encap"):add(encaps.USER0, p)
