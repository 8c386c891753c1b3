/**
 * Detached remote runs: each (step, node, attempt) runs on the node independently of the SSH connection, so a
 * dropped connection or a restarted console never kills or loses a step.
 *
 * Node-side layout, `<runsDir>/<runId>/` (mode 0700, umask 077; runsDir defaults to /var/lib/os-console/runs):
 *   lpid        pid of the launcher (written right after mkdir; lets `attach` tell a dead launch from a slow one)
 *               (lpid, wpid, pgid and exit are each written in one write of their line, not renamed into
 *               place: a process less per step each; a reader takes one only once it reads its whole line)
 *   secrets.env secrets (KEY='value' lines), removed by the wrapper when the script ends (none without secrets)
 *   script.sh   the step script (run by its #! interpreter if it has one, else by sh)
 *   wrap.sh / inner.sh  the wrapper; stdout / stderr  the script's output files
 *   wpid        pid of the wrapper (exists => the run was started)
 *   lock        flock(1)ed by the wrapper while it lives (when the node has flock)
 *   pgid        process group (= session) id of the script, for cancel
 *   cancelled   reason ('cancel' | 'timeout') when a cancel was requested
 *   exit        the script's exit code (exists => finished); 128+N when killed by signal N
 *
 * ONE exec channel per step: payload in on stdin, wrapper started detached (double fork + setsid), then the same
 * channel follows the output files with `tail -f` from byte offsets until the run ends; the channel's exit code
 * is the script's exit code. After a drop, `attach` follows again from the byte offsets the console received,
 * so no byte is lost or duplicated.
 *
 * Channel framing (deviation from the first design, found necessary in tests/analysis):
 * - stdout starts with one header line `OSC-RUN 1 <state...>` and stderr with a marker line `OSC-RUN 1`; only
 *   bytes after them are the run's output and are counted for offsets. Anything before them is noise from sudo
 *   ("unable to resolve host ...", lectures) or a runner error, and must not shift the offsets.
 * - The follower does not use `tail --pid=<wrapper>`: the wrapper is an orphan, and where init does not reap
 *   orphans (containers) its zombie would look alive forever. Instead a watcher child of the follower polls for
 *   the `exit` file (or the wrapper's death, read from /proc/<pid>/stat ignoring zombies) and the tails use
 *   `--pid=<watcher>`; tail does a final read after that pid dies, so all output is delivered.
 * - The runner's own polling sleeps are written `sleep 0.100` / `sleep 0.01`, so that they are easy to tell apart
 *   from a step script's `sleep 0.1` when looking at `ps` on a node.
 * - Waiting is event-driven where the node has flock(1) (util-linux: every supported distribution): the wrapper
 *   holds an exclusive lock on `lock` for its whole life, and the end-watcher is `flock -s` on the open file, which
 *   returns the moment the wrapper exits (or is killed: the kernel drops the lock), so a step's channel ends
 *   within tail's 10 ms of its exit. A quiet run that ends within 0.2 s of the follower's start (`flock -w`) is
 *   not followed at all: its files are printed once the lock is free (no watcher, no tails, no 10 ms poll). The
 *   lock is tried at 20, 50, 100 and 200 ms: a run still going that has printed something by one of these is
 *   followed from there, so its output streams while it runs (bench/: the 50 MB flood, whose output otherwise
 *   waited in the file until the run ended); a quiet one is followed after 0.2 s, its first output up to 0.2 s
 *   later than through the tails alone. Without flock the watcher polls: every 10 ms for its first half second,
 *   then every 100 ms. The launcher learns that the wrapper wrote wpid from the wrapper closing the launcher's
 *   pipe (its stdout), not by polling for the file. (bench/: 100 trivial steps in sequence.)
 * - The payload carries the secrets' and the script's lengths and ends with a marker line after the script, so a
 *   payload cut by a lost connection is detected: the launcher then removes the run dir (attach reports no-trace
 *   and runDetached may launch again: nothing ran).
 * - Every process the launcher starts costs a fork and exec on the node for every step: builtins do what they can
 *   (strace of a `true` step: 23 forks per launch and follow before fb4f694, 10 since the 0.2 s end check).
 */
import { isSshError, SshError, shQuote } from './errors.js';
import type { NodeSession } from './node-session.js';

export const DEFAULT_RUNS_DIR = '/var/lib/os-console/runs';
export const PAYLOAD_MARKER = 'OSC-PAYLOAD-BEGIN';
/** The line after the script: a payload cut short lacks it. */
export const PAYLOAD_END = 'OSC-PAYLOAD-END';
const HEADER_PREFIX = 'OSC-RUN 1 ';
const ERR_MARKER = 'OSC-RUN 1';

export type RunOutcome =
	| { kind: 'exited'; code: number; runnerError?: string }
	/** The follower on the node was killed by a signal (the run itself may go on: attach again). */
	| { kind: 'signaled'; signal: string }
	| { kind: 'no-trace'; reason: string }
	/** `code`: the exit code recorded after the remote process group was killed (usually 143 or 137). */
	| { kind: 'timeout'; code?: number }
	| { kind: 'cancelled'; code?: number };

export interface RunOffsets {
	stdout: number;
	stderr: number;
}

export interface RunnerOptions {
	/** Default /var/lib/os-console/runs. */
	runsDir?: string;
	/** TERM -> KILL grace period for cancel/timeout. Default 5000 ms. */
	cancelGraceMs?: number;
}

export interface RunHandlers {
	onStdout?(chunk: Buffer): void;
	onStderr?(chunk: Buffer): void;
	/** The connection dropped mid-run; reconnecting (with backoff) and re-attaching from `offsets`. */
	onReconnecting?(detail: string, offsets: RunOffsets): void;
	/** Re-attached after a drop (the run exists on the node). */
	onReattached?(offsets: RunOffsets): void;
	/** The connection dropped before the run started on the node (nothing ran): launching it again. */
	onRelaunch?(reason: string): void;
	/** Text the node printed outside the run's output (sudo warnings, runner errors). */
	onRunnerMessage?(text: string): void;
}

export interface RunDetachedOptions extends RunHandlers, RunnerOptions {
	runId: string;
	script: string | Buffer;
	/**
	 * The payload (and so the run) reaches the node only once this resolves; the launch channel opens meanwhile.
	 * Rejected: nothing is sent, the launcher finds no payload and removes its run dir (nothing ran).
	 */
	ready?: Promise<unknown>;
	/** Secrets file content; a record becomes `KEY='value'` lines (sourceable with `. "$OSC_SECRETS"`). */
	secretsEnv?: string | Buffer | Record<string, string>;
	/** Cancel the remote process group after this long; outcome 'timeout'. */
	timeoutMs?: number;
	/** Abort: cancel the remote process group; outcome 'cancelled'. */
	signal?: AbortSignal;
	/** Relaunches allowed when a drop happened before the run started (nothing ran). Default 2. */
	maxRelaunches?: number;
}

export interface AttachOptions extends RunHandlers, RunnerOptions {
	runId: string;
	/** Bytes of stdout/stderr already received. Default 0/0 (everything). */
	offsets?: RunOffsets;
	timeoutMs?: number;
	signal?: AbortSignal;
}

export type CancelResult = 'no-trace' | 'finished' | 'terminated' | 'killed';

const RUN_ID_RE = /^[A-Za-z0-9._-]{1,200}$/;

export function validateRunId(runId: string): void {
	if (!RUN_ID_RE.test(runId) || runId === '.' || runId === '..') {
		throw new Error(`invalid run id ${JSON.stringify(runId)}: use 1-200 characters from [A-Za-z0-9._-]`);
	}
}

function validateRunsDir(dir: string): void {
	if (!/^\/[A-Za-z0-9._/-]*$/.test(dir) || dir.split('/').includes('..')) {
		throw new Error(`invalid runs dir ${JSON.stringify(dir)}`);
	}
}

function serializeSecrets(s: RunDetachedOptions['secretsEnv']): Buffer {
	if (s === undefined) return Buffer.alloc(0);
	if (typeof s === 'string' || Buffer.isBuffer(s)) return Buffer.from(s);
	let out = '';
	for (const [k, v] of Object.entries(s)) {
		if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid secret name ${JSON.stringify(k)}`);
		out += `${k}=${shQuote(v)}\n`;
	}
	return Buffer.from(out);
}

// ------------------------------------------------------------------ node-side scripts (POSIX sh, GNU tail)

function prelude(runsDir: string, runId: string): string {
	validateRunsDir(runsDir);
	validateRunId(runId);
	return `set -u
umask 077
B=${shQuote(runsDir)}
R="$B/${runId}"
die() { printf 'os-console-runner: %s\\n' "$*" >&2; exit 255; }
alive() {
  [ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
  { IFS= read -r st < "/proc/$1/stat"; } 2>/dev/null || return 1
  st=\${st##*) }
  [ "\${st%% *}" != Z ]
}
follow() {
  cd "$R" || die "cannot enter $R"
  read -r WP < wpid || die "cannot read $R/wpid"
  printf '${HEADER_PREFIX}%s\\n' "$1"
  printf '${ERR_MARKER}\\n' >&2
  if [ -e lock ] && command -v flock >/dev/null 2>&1; then
    # A run that ends within its first 0.2 s needs no followers: the lock is free once the wrapper is gone, its
    # output files are then complete and are printed as they are (no tail polling for the end). The lock is tried
    # at 20, 50, 100 and 200 ms; a run still going that has printed something by then is followed from there,
    # so its output streams while it runs (a 50 MB flood sat in the file until the run ended).
    if { command exec 8< lock; } 2>/dev/null; then
      for w in 0.02 0.03 0.05 0.1; do
        if flock -s -w "$w" 8 2>/dev/null; then
          exec 8<&-
          if [ -s stdout ]; then tail -c "+$(($2 + 1))" stdout; fi
          if [ -s stderr ]; then tail -c "+$(($3 + 1))" stderr >&2; fi
          ended
        fi
        if [ -s stdout ] || [ -s stderr ]; then break; fi
      done
    fi
    exec 8<&-
    # flock on an open descriptor takes the lock and exits: no command (and no process) for it to run
    ( exec 8< lock && exec flock -s 8 ) < /dev/null > /dev/null 2>&1 &
  else
    ( n=0; while [ ! -e exit ]; do alive "$WP" || break; if [ "$n" -lt 50 ]; then n=$((n + 1)); sleep 0.01; else sleep 0.100; fi; done ) &
  fi
  W=$!
  tail -c "+$(($2 + 1))" -s 0.01 --pid="$W" -f stdout &
  T1=$!
  tail -c "+$(($3 + 1))" -s 0.01 --pid="$W" -f stderr >&2 &
  T2=$!
  wait "$T1"; wait "$T2"
  ended
}
ended() {
  [ -e exit ] || die "the run's wrapper (pid $WP) ended without recording an exit code: the node rebooted or the wrapper was killed"
  { read -r c < ./exit || { sleep 0.01; read -r c < ./exit; }; } 2>/dev/null || die "cannot read $R/exit"
  exit "$c"
}
`;
}

/**
 * What the wrapper runs in its own session (written to inner.sh): records the process group for cancel, then
 * becomes the step script, run by its `#!` interpreter when it has one.
 */
const INNER_SH = `echo $$ > pgid || exit 255
first=
IFS= read -r first < script.sh
case $first in
'#!'*) exec ./script.sh ;;
*) exec sh ./script.sh ;;
esac
`;

/** The wrapper (wrap.sh), started detached by the launcher. */
const WRAP_SH = `# The lock is held (fd 9) for the wrapper's whole life: followers wait on it instead of polling. Nothing the
# script starts inherits it (9>&- below), so a daemon the script leaves behind cannot hold it.
# (A lock file that is not locked would make followers think the wrapper ended: it is removed if flock fails.)
if command -v flock >/dev/null 2>&1; then command exec 9> lock && flock 9 || { exec 9>&-; rm -f lock; }; fi
# wpid is written in one write of "pid\\n": a reader takes it only once it reads the whole line.
echo $$ > wpid
# stdout is the launcher's pipe until here: closing it tells the launcher that wpid is written.
exec > /dev/null
OSC_RUN_DIR=$PWD
OSC_SECRETS="$OSC_RUN_DIR/secrets.env"
export OSC_RUN_DIR OSC_SECRETS
unset SSH_CONNECTION SSH_CLIENT SSH_TTY SSH_AUTH_SOCK SSH_ORIGINAL_COMMAND
# This sh leads its own session, so its child is never a process group leader and setsid needs no fork
# (and no -w, which util-linux before 2.24, e.g. CentOS 7's, lacks): it waits for inner.sh like any child.
setsid sh ./inner.sh < /dev/null >> stdout 2>> stderr 9>&-
rc=$?
# A step without secrets has no secrets file (and rm would be one more process per step).
[ ! -e secrets.env ] || rm -f secrets.env
# Last: "exit exists" means finished. One write of the code and its newline, not renamed into place (a process
# less per step): a reader that finds it still empty reads it again.
echo "$rc" > exit
`;

/**
 * The launch command (fixed text; contains only the runs dir and the run id: no secrets).
 * Every external command here is a process forked on the node for every step (bench/: 100 trivial steps), so the
 * launcher uses shell builtins where one does the job: the payload's parts are cut with `head -c` (which never
 * reads past its count) and a cut upload shows as a missing line after them (the shell's `read` at end of
 * input), not by measuring the files; wrap.sh and inner.sh are written with printf; a step without secrets gets
 * no secrets file (OSC_SECRETS names a file that does not exist: only steps that use secrets read it).
 */
export function launchCommand(runId: string, runsDir = DEFAULT_RUNS_DIR): string {
	return `${prelude(runsDir, runId)}[ -d "$B" ] || mkdir -p "$B" 2>/dev/null
[ -d "$B" ] && [ -w "$B" ] || die "cannot create or write $B: run as root (or enable sudo for this node)"
mkdir "$R" 2>/dev/null || die "cannot create $R (does a run with this id exist already?)"
echo $$ > "$R/lpid" || { rm -rf "$R"; die "cannot write in $R"; }
fail() { cd /; rm -rf "$R"; die "$@"; }
cd "$R" || fail "cannot enter $R"
l=
while IFS= read -r l; do [ "$l" = ${PAYLOAD_MARKER} ] && break; done
[ "$l" = ${PAYLOAD_MARKER} ] || fail "payload marker missing on stdin (connection lost during upload?)"
IFS= read -r n || fail "secrets length missing (connection lost during upload?)"
case $n in ''|*[!0-9]*) fail "bad secrets length";; esac
if [ "$n" -gt 0 ]; then head -c "$n" > secrets.env || fail "cannot write $R/secrets.env"; fi
IFS= read -r m || fail "script length missing, or secrets cut short (connection lost during upload?)"
case $m in ''|*[!0-9]*) fail "bad script length";; esac
head -c "$m" > script.sh || fail "cannot write $R/script.sh"
IFS= read -r l || fail "script cut short (connection lost during upload?)"
[ "$l" = ${PAYLOAD_END} ] || fail "payload end marker missing (connection lost during upload?)"
first=
IFS= read -r first < script.sh
case $first in '#!'*) chmod 700 script.sh || fail "cannot make $R/script.sh executable";; esac
: > stdout && : > stderr || fail "cannot create output files in $R"
printf '%s' ${shQuote(INNER_SH)} > inner.sh || fail "cannot write $R/inner.sh"
printf '%s' ${shQuote(WRAP_SH)} > wrap.sh || fail "cannot write $R/wrap.sh"
# The command substitution returns when the wrapper closes its stdout (our pipe), right after writing wpid (or
# when it dies): no polling for wpid.
started=$( ( setsid sh ./wrap.sh < /dev/null 2> /dev/null & ) )
[ -e wpid ] || die "the wrapper did not start (no $R/wpid)"
follow started 0 0
`;
}

/** Follow-only command: re-attach after a dropped connection or a console restart. */
export function attachCommand(runId: string, offsets: RunOffsets, runsDir = DEFAULT_RUNS_DIR): string {
	const o = Math.floor(offsets.stdout);
	const e = Math.floor(offsets.stderr);
	if (!(o >= 0 && e >= 0)) throw new Error('offsets must be >= 0');
	return `${prelude(runsDir, runId)}[ -d "$R" ] || { printf '${HEADER_PREFIX}no-trace absent\\n'; exit 0; }
i=0
d=0
# wpid is complete once its line (with the newline) can be read
while ! { IFS= read -r WP < "$R/wpid"; } 2>/dev/null; do
  [ -d "$R" ] || { printf '${HEADER_PREFIX}no-trace absent\\n'; exit 0; }
  LP=
  [ -r "$R/lpid" ] && { read -r LP < "$R/lpid"; } 2>/dev/null
  if [ -n "$LP" ] && ! alive "$LP"; then
    d=$((d + 1))
    if [ "$d" -gt 50 ] && [ ! -e "$R/wpid" ]; then
      rm -rf "$R"
      printf '${HEADER_PREFIX}no-trace launch-incomplete\\n'
      exit 0
    fi
  fi
  i=$((i + 1))
  [ "$i" -gt 1500 ] && { printf '${HEADER_PREFIX}no-trace launch-stalled\\n'; exit 0; }
  sleep 0.01
done
CR=-
[ -r "$R/cancelled" ] && read -r CR < "$R/cancelled"
follow "attached cancelled=$CR" ${o} ${e}
`;
}

/** Cancel: TERM the run's process group/session, KILL what is left after the grace period. Prints the result. */
export function cancelCommand(
	runId: string,
	opts: { reason?: 'cancel' | 'timeout'; graceMs?: number; runsDir?: string } = {},
): string {
	const reason = opts.reason ?? 'cancel';
	const ticks = Math.max(0, Math.ceil((opts.graceMs ?? 5000) / 100));
	return `${prelude(opts.runsDir ?? DEFAULT_RUNS_DIR, runId)}[ -d "$R" ] || { echo no-trace; exit 0; }
cd "$R" || die "cannot enter $R"
[ -e exit ] && { echo finished; exit 0; }
[ -e cancelled ] || { echo ${reason} > cancelled.tmp && mv cancelled.tmp cancelled; }
i=0
# pgid is written in one write of "pid\\n" (no rename: one process less per step): taken once its line is whole
while ! { IFS= read -r P < pgid; } 2>/dev/null; do
  [ -e exit ] && { echo finished; exit 0; }
  i=$((i + 1))
  [ "$i" -gt 1000 ] && die "the run has no process group after 10 s"
  sleep 0.01
done
case $P in ''|*[!0-9]*) die "bad pgid";; esac
members() {
  for f in /proc/[0-9]*/stat; do
    { IFS= read -r l < "$f"; } 2>/dev/null || continue
    set -- \${l##*) }
    [ "$1" != Z ] || continue
    if [ "$3" = "$P" ] || [ "$4" = "$P" ]; then p=\${f#/proc/}; echo "\${p%/stat}"; fi
  done
}
kill -15 "-$P" 2>/dev/null
for p in $(members); do kill -15 "$p" 2>/dev/null; done
i=0
while [ -n "$(members)" ]; do
  i=$((i + 1))
  [ "$i" -gt ${ticks} ] && break
  sleep 0.100
done
m=$(members)
if [ -n "$m" ]; then
  kill -9 "-$P" 2>/dev/null
  for p in $m; do kill -9 "$p" 2>/dev/null; done
  echo killed
else
  echo terminated
fi
`;
}

export function cleanupCommand(runId: string, opts: { force?: boolean; runsDir?: string } = {}): string {
	return `${prelude(opts.runsDir ?? DEFAULT_RUNS_DIR, runId)}[ -d "$R" ] || { echo absent; exit 0; }
${opts.force ? '' : '[ -e "$R/exit" ] || { echo running; exit 0; }\n'}rm -rf "$R" && echo removed
`;
}

// ------------------------------------------------------------------------------------------- console side

/** The node scripts are POSIX sh: run them with sh whatever the user's login shell is. */
function viaSh(script: string): string {
	return `sh -c ${shQuote(script)}`;
}

async function capture(
	session: NodeSession,
	command: string,
): Promise<{ code: number | null; out: string; err: string }> {
	let out = '';
	let err = '';
	const r = await session.exec(viaSh(command), {
		onStdout: (c) => {
			out += c.toString('utf8');
		},
		onStderr: (c) => {
			err += c.toString('utf8');
		},
	});
	return { code: r.code, out, err };
}

/** Cancel a run (on its own channel). */
export async function cancelRun(
	session: NodeSession,
	runId: string,
	opts: { reason?: 'cancel' | 'timeout'; graceMs?: number; runsDir?: string } = {},
): Promise<CancelResult> {
	const r = await capture(session, cancelCommand(runId, opts));
	const word = r.out.trim().split('\n').pop() ?? '';
	if (word === 'no-trace' || word === 'finished' || word === 'terminated' || word === 'killed') return word;
	throw new Error(
		`cancel of run ${runId} on node ${session.name} failed (exit ${r.code}): ${r.err.trim() || r.out.trim()}`,
	);
}

/** Remove a finished run's directory (or any, with force). Returns true when removed. */
export async function cleanupRun(
	session: NodeSession,
	runId: string,
	opts: { force?: boolean; runsDir?: string } = {},
): Promise<boolean> {
	const r = await capture(session, cleanupCommand(runId, opts));
	return r.out.trim() === 'removed';
}

/** Best-effort look at a finished follow: cancel marker and whether an exit code was recorded. */
async function readRunStatus(
	session: NodeSession,
	runId: string,
	runsDir: string,
): Promise<{ cancelled?: string; exitRecorded?: boolean }> {
	try {
		const r = await capture(
			session,
			`${prelude(runsDir, runId)}if [ -e "$R/exit" ]; then echo exit=1; else echo exit=0; fi
[ -r "$R/cancelled" ] && { printf 'cancelled='; cat "$R/cancelled"; }
exit 0
`,
		);
		const st: { cancelled?: string; exitRecorded?: boolean } = {};
		for (const line of r.out.split('\n')) {
			if (line.startsWith('exit=')) st.exitRecorded = line === 'exit=1';
			if (line.startsWith('cancelled=') && line.length > 10) st.cancelled = line.slice(10).trim();
		}
		return st;
	} catch {
		return {}; // best effort: the exit code is still right
	}
}

interface FollowState {
	runId: string;
	offsets: RunOffsets;
	/** The launcher/attacher confirmed the run exists (header started/attached seen). */
	started: boolean;
	remoteCancel?: string;
}

interface FollowResult {
	header?: string;
	code: number | null;
	signal?: string;
	noise: string;
}

/** One channel: send `stdin`, parse header/marker, deliver and count the run's bytes. */
async function followOnce(
	session: NodeSession,
	command: string,
	stdin: Buffer | undefined,
	st: FollowState,
	h: RunHandlers,
	onHeader: (header: string) => void,
	stdinAfter?: Promise<unknown>,
): Promise<FollowResult> {
	let outPre: Buffer | undefined = Buffer.alloc(0); // until the header line
	let errPre: Buffer | undefined = Buffer.alloc(0); // until the marker line
	let header: string | undefined;
	let noise = '';
	const addNoise = (b: Buffer) => {
		if (b.length === 0) return;
		const t = b.toString('utf8');
		noise += t;
		h.onRunnerMessage?.(t);
	};
	const deliverOut = (b: Buffer) => {
		if (b.length === 0) return;
		st.offsets.stdout += b.length;
		h.onStdout?.(b);
	};
	const deliverErr = (b: Buffer) => {
		if (b.length === 0) return;
		st.offsets.stderr += b.length;
		h.onStderr?.(b);
	};
	// find a line equal to / starting with `prefix` at the start of a line; returns [lineStart, lineEnd] or undefined
	const findLine = (buf: Buffer, prefix: string, exact: boolean): [number, number] | undefined => {
		let start = 0;
		while (start < buf.length) {
			const nl = buf.indexOf(0x0a, start);
			if (nl < 0) return undefined;
			const line = buf.subarray(start, nl).toString('utf8');
			if (exact ? line === prefix : line.startsWith(prefix)) return [start, nl];
			start = nl + 1;
		}
		return undefined;
	};
	const opts: Parameters<NodeSession['exec']>[1] = {
		onStdout: (chunk) => {
			if (!outPre) return deliverOut(chunk);
			outPre = Buffer.concat([outPre, chunk]);
			const hit = findLine(outPre, HEADER_PREFIX, false);
			if (!hit) {
				if (outPre.length > 65536) {
					addNoise(outPre);
					outPre = Buffer.alloc(0);
				}
				return;
			}
			addNoise(outPre.subarray(0, hit[0]));
			header = outPre.subarray(hit[0] + HEADER_PREFIX.length, hit[1]).toString('utf8');
			const rest = outPre.subarray(hit[1] + 1);
			outPre = undefined;
			onHeader(header);
			deliverOut(rest);
		},
		onStderr: (chunk) => {
			if (!errPre) return deliverErr(chunk);
			errPre = Buffer.concat([errPre, chunk]);
			const hit = findLine(errPre, ERR_MARKER, true);
			if (!hit) {
				if (errPre.length > 65536) {
					addNoise(errPre);
					errPre = Buffer.alloc(0);
				}
				return;
			}
			addNoise(errPre.subarray(0, hit[0]));
			const rest = errPre.subarray(hit[1] + 1);
			errPre = undefined;
			deliverErr(rest);
		},
	};
	if (stdin) opts.stdin = stdin;
	if (stdinAfter) opts.stdinAfter = stdinAfter;
	const r = await session.exec(viaSh(command), opts);
	if (outPre) addNoise(outPre);
	if (errPre) addNoise(errPre);
	const res: FollowResult = { code: r.code, noise };
	if (header !== undefined) res.header = header;
	if (r.signal) res.signal = r.signal;
	return res;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Mode = { kind: 'launch'; payload: Buffer } | { kind: 'attach'; afterLaunchDrop: boolean };

async function runLoop(
	session: NodeSession,
	initial: Mode,
	st: FollowState,
	opts: RunHandlers &
		RunnerOptions & { timeoutMs?: number; signal?: AbortSignal; maxRelaunches?: number; ready?: Promise<unknown> },
): Promise<RunOutcome> {
	const runsDir = opts.runsDir ?? DEFAULT_RUNS_DIR;
	const launchPayload = initial.kind === 'launch' ? initial.payload : undefined;
	let mode: Mode = initial;
	let relaunches = 0;
	let cancelReason: 'cancel' | 'timeout' | undefined;
	let cancelPromise: Promise<void> | undefined;

	const fireCancel = () => {
		if (!cancelReason || cancelPromise || !st.started) return;
		const reason = cancelReason;
		cancelPromise = (async () => {
			for (let attempt = 0; attempt < 1000; attempt++) {
				try {
					await session.ensureConnected();
					const r = await cancelRun(session, st.runId, { reason, runsDir, graceMs: opts.cancelGraceMs ?? 5000 });
					if (r === 'no-trace' && !st.started) continue;
					return;
				} catch (err) {
					if (session.isClosed || !(err instanceof SshError) || !err.retriable) {
						opts.onRunnerMessage?.(`os-console: cancel of run ${st.runId} failed: ${(err as Error).message}\n`);
						return;
					}
					await sleep(250);
				}
			}
		})();
	};
	const requestCancel = (reason: 'cancel' | 'timeout') => {
		if (cancelReason) return;
		cancelReason = reason;
		fireCancel();
	};
	const timer = opts.timeoutMs !== undefined ? setTimeout(() => requestCancel('timeout'), opts.timeoutMs) : undefined;
	const onAbort = () => requestCancel('cancel');
	opts.signal?.addEventListener('abort', onAbort, { once: true });
	if (opts.signal?.aborted) cancelReason = 'cancel';

	const onHeader = (header: string) => {
		if (header === 'started' || header.startsWith('attached')) {
			st.started = true;
			const m = /cancelled=(\S+)/.exec(header);
			if (m?.[1] && m[1] !== '-') st.remoteCancel = m[1];
			fireCancel();
		}
	};
	const finishWith = async (o: RunOutcome): Promise<RunOutcome> => {
		if (cancelPromise) await cancelPromise;
		return o;
	};

	try {
		for (;;) {
			if (mode.kind === 'launch' && cancelReason && !st.started) {
				// cancelled (or timed out) before anything was started on the node
				return cancelReason === 'timeout' ? { kind: 'timeout' } : { kind: 'cancelled' };
			}
			// Not inside the try below: failing to (re)connect (after the session's own backoff) ends the run
			// with that error; only a connection lost while following means "re-attach".
			await session.ensureConnected();
			let r: FollowResult;
			try {
				if (mode.kind === 'launch') {
					r = await followOnce(session, launchCommand(st.runId, runsDir), mode.payload, st, opts, onHeader, opts.ready);
				} else {
					r = await followOnce(session, attachCommand(st.runId, st.offsets, runsDir), undefined, st, opts, onHeader);
					if (r.header?.startsWith('attached')) opts.onReattached?.({ ...st.offsets });
				}
			} catch (err) {
				if (
					isSshError(err) &&
					(err.code === 'connection-closed' || err.code === 'channel-failed') &&
					err.phase === 'session' &&
					!session.isClosed
				) {
					opts.onReconnecting?.(err.message, { ...st.offsets });
					mode = { kind: 'attach', afterLaunchDrop: mode.kind === 'launch' || mode.afterLaunchDrop };
					if (err.code === 'channel-failed') await sleep(250);
					continue;
				}
				throw err;
			}

			if (r.header === undefined) {
				// no header: the runner failed before starting/following (or sudo refused)
				if (/(^|\n)sudo: /.test(r.noise) && r.code === 1) {
					throw new SshError(
						'sudo-failed',
						`sudo on node ${session.name} refused to start run ${st.runId}: ${r.noise.trim()}`,
						{ node: session.name },
					);
				}
				if (r.code === null) return finishWith({ kind: 'signaled', signal: r.signal ?? 'unknown' });
				const o: RunOutcome = { kind: 'exited', code: r.code };
				if (r.noise.trim()) o.runnerError = r.noise.trim();
				return finishWith(o);
			}
			if (r.header.startsWith('no-trace')) {
				const reason = r.header.slice('no-trace'.length).trim() || 'absent';
				const nothingRan = !st.started && st.offsets.stdout === 0 && st.offsets.stderr === 0;
				if (
					mode.kind === 'attach' &&
					mode.afterLaunchDrop &&
					launchPayload &&
					nothingRan &&
					(reason === 'absent' || reason === 'launch-incomplete') &&
					relaunches < (opts.maxRelaunches ?? 2)
				) {
					relaunches++;
					opts.onRelaunch?.(reason);
					mode = { kind: 'launch', payload: launchPayload };
					continue;
				}
				return finishWith({ kind: 'no-trace', reason });
			}
			if (r.code === null) return finishWith({ kind: 'signaled', signal: r.signal ?? 'unknown' });
			if ((!cancelReason && !st.remoteCancel && r.code > 128) || r.code === 255) {
				// killed by a signal: was it a cancel requested by someone else (another console, cancelRun)?
				// 255: did the follower give up because the wrapper vanished without recording an exit code?
				const status = await readRunStatus(session, st.runId, runsDir);
				st.remoteCancel ??= status.cancelled;
				if (r.code === 255 && status.exitRecorded === false) {
					return finishWith({
						kind: 'exited',
						code: 255,
						runnerError: `run ${st.runId} on node ${session.name} ended without recording an exit code: its wrapper was killed or the node rebooted. Check the node, then run the step again.`,
					});
				}
			}
			const why = cancelReason ?? st.remoteCancel;
			if (why === 'timeout') return finishWith({ kind: 'timeout', code: r.code });
			if (why === 'cancel') return finishWith({ kind: 'cancelled', code: r.code });
			return finishWith({ kind: 'exited', code: r.code });
		}
	} finally {
		if (timer) clearTimeout(timer);
		opts.signal?.removeEventListener('abort', onAbort);
	}
}

/**
 * Launch `script` detached on the node and follow it to the end, surviving connection drops (reconnect with
 * the session's backoff and re-attach from the byte offsets received so far).
 */
export async function runDetached(session: NodeSession, opts: RunDetachedOptions): Promise<RunOutcome> {
	validateRunId(opts.runId);
	const secrets = serializeSecrets(opts.secretsEnv);
	const script = Buffer.from(opts.script);
	const payload = Buffer.concat([
		Buffer.from(`${PAYLOAD_MARKER}\n${secrets.length}\n`),
		secrets,
		Buffer.from(`${script.length}\n`),
		script,
		Buffer.from(`${PAYLOAD_END}\n`),
	]);
	const st: FollowState = { runId: opts.runId, offsets: { stdout: 0, stderr: 0 }, started: false };
	if (!opts.ready) return runLoop(session, { kind: 'launch', payload }, st, opts);
	opts.ready.catch(() => {}); // awaited below, once the launch channel has ended
	const outcome = await runLoop(session, { kind: 'launch', payload }, st, opts);
	// Not ready: nothing was sent (the launcher removed its run dir); the reason is what went wrong.
	await opts.ready;
	return outcome;
}

/**
 * Follow an existing run from `offsets` (re-attach after a console restart). Unknown run -> no-trace.
 * `timeoutMs` / `signal` cancel the run as in runDetached.
 */
export async function attach(session: NodeSession, opts: AttachOptions): Promise<RunOutcome> {
	validateRunId(opts.runId);
	const st: FollowState = {
		runId: opts.runId,
		offsets: { stdout: opts.offsets?.stdout ?? 0, stderr: opts.offsets?.stderr ?? 0 },
		started: false,
	};
	return runLoop(session, { kind: 'attach', afterLaunchDrop: false }, st, opts);
}
