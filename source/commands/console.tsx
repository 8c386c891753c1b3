/**
 * `os-console` (no command): the interactive console. With --profile it opens that profile; otherwise it
 * shows the saved profiles, or the first-run form when there are none.
 */
import { render } from 'ink';
import { App } from '../app.js';
import { openProfile } from '../console/open-profile.js';
import { PromptQueue } from '../engine/prompts.js';
import { initLanguage } from '../i18n/index.js';
import { Profile } from '../profile/schema.js';
import { listSavedProfiles, saveProfile } from '../profile/store.js';
import type { InitialOpen } from '../ui/app-state.js';
import { errorMessage } from '../util/error-message.js';
import { EXIT_USAGE, parseFlags, reportError, UsageError } from './common.js';

export const usage = `Usage: os-console [--profile NAME_OR_PATH] [--known-hosts FILE] [--lang zh|en]

Opens the interactive console. Without --profile it lists the saved profiles (or opens the form that
creates the first one). Keys: ? shows every key binding.

Options:
  --profile NAME_OR_PATH  open this saved profile or profile file directly
  --known-hosts FILE      also trust the host keys in FILE (repeatable)
  --lang zh|en            the console's language (default: OS_CONSOLE_LANG, then the locale: LANG/LC_ALL zh* is Chinese)

Host keys: an unknown host's key type and SHA256 fingerprint are shown and asked about; an accepted key is
recorded where the profile's "ssh": {"knownHostsFile": ...} says: "console" (the default: the console's own
known_hosts), "user" (where ssh records it: the ssh config's first UserKnownHostsFile for that host, else
~/.ssh/known_hosts), or a path. Entries are OpenSSH's format, hashed when the file already is (or with
HashKnownHosts yes). A changed key is refused with both fingerprints and the ssh-keygen -R command to run.`;

export async function run(argv: string[]): Promise<number> {
	let flags: ReturnType<typeof parseFlags>;
	try {
		flags = parseFlags(
			argv,
			{ profile: { type: 'string' }, 'known-hosts': { type: 'string', multiple: true }, lang: { type: 'string' } },
			'console',
		);
		try {
			initLanguage(flags.lang as string | undefined);
		} catch (error) {
			throw new UsageError((error as Error).message);
		}
		if (!process.stdin.isTTY) {
			throw new UsageError(
				'the console needs a terminal; for unattended runs use "os-console run --profile ... --yes"',
			);
		}
	} catch (error) {
		return reportError(error);
	}
	const knownHostsFiles = flags['known-hosts'] as string[] | undefined;
	let exitCode = 0;
	const engines: { close(): Promise<void> }[] = [];
	const services = {
		listProfiles: () => listSavedProfiles(),
		openProfile: async (nameOrPath: string) => {
			const prompts = new PromptQueue();
			const opened = await openProfile(nameOrPath, { prompts, hostKeys: { mode: 'ask', knownHostsFiles } });
			engines.push(opened.engine);
			void opened.engine.resume();
			return { engine: opened.engine, prompts, warnings: opened.warnings };
		},
		createProfile: (profile: Profile) => {
			saveProfile(Profile.parse(profile));
		},
		exit: (code = 0) => {
			exitCode = code;
			instance.unmount();
		},
	};
	// Keys typed while the profile opens, or right as the first frame appears, are held for ink rather than
	// echoed and line-buffered by the terminal: ink turns raw mode on only after its first frame.
	process.stdin.setRawMode?.(true);
	const initialProfile = flags.profile as string | undefined;
	// The profile named on the command line is opened before ink draws anything: the first frame is then the
	// dashboard (or the picker with the reason it did not open), not an "opening" frame redrawn a moment later.
	const initialOpen: InitialOpen | undefined = initialProfile
		? await services.openProfile(initialProfile).then(
				(opened) => ({ name: initialProfile, opened }),
				(error: unknown) => ({ name: initialProfile, error: errorMessage(error) }),
			)
		: undefined;
	const instance = render(<App services={services} initialProfile={initialProfile} initialOpen={initialOpen} />, {
		exitOnCtrlC: false,
		// Output re-renders are already held to one per FRAME_INTERVAL_MS by the engine store (source/ui/engine-store.ts);
		// ink's own cap only delays the frame a key press asks for when it falls just after such a render (ink's
		// default, 30 fps, adds up to 33 ms to key → frame during an output flood; 60 fps at most 17 ms).
		maxFps: 60,
	});
	// The SSH code is loaded while the console waits for keys, not when the first step starts (see preloadSsh2).
	setTimeout(() => {
		import('../ssh/node-session.js').then(
			(ssh) => ssh.preloadSsh2(),
			() => {}, // it is loaded again, and its error reported, when a step needs it
		);
	}, 100).unref();
	await instance.waitUntilExit();
	await Promise.all(engines.map((e) => e.close()));
	return exitCode === EXIT_USAGE ? EXIT_USAGE : exitCode;
}
