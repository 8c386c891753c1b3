/**
 * `os-console replay` on a terminal: the console opened on the replay screens alone (no profile is opened, so
 * nothing connects and nothing is written): the run list when the journal has several runs, over the replay
 * of the run asked for (--run) or none; the replay itself when there is one run. esc on the bottom screen
 * and q leave.
 */
import { render } from 'ink';
import { App } from '../app.js';
import type { ReplaySource } from '../replay/source.js';
import type { ReplayOptions, Route, Services } from '../ui/app-state.js';

export function replayRoutes(source: ReplaySource, options: ReplayOptions, runId: string | undefined): Route[] {
	const only = source.runs.length === 1 ? source.runs[0] : undefined;
	if (only) return [{ screen: 'replay', source, options, runId: only.id }];
	const list: Route = { screen: 'runs', source, options, selected: runId };
	return runId === undefined ? [list] : [list, { screen: 'replay', source, options, runId }];
}

/** Services for a console that opens no profile. */
export function replayOnlyServices(exit: (code: number) => void): Services {
	const refuse = () => {
		throw new Error('the replay opens no profile');
	};
	return {
		listProfiles: () => [],
		openProfile: async () => refuse(),
		createProfile: () => refuse(),
		exit,
	};
}

/** Runs the replay console until the operator leaves; its exit code. */
export async function openReplayConsole(
	source: ReplaySource,
	options: ReplayOptions & { runId?: string },
): Promise<number> {
	let exitCode = 0;
	const services = replayOnlyServices((code) => {
		exitCode = code;
		instance.unmount();
	});
	const { runId, ...play } = options;
	const instance = render(<App services={services} initialRoutes={replayRoutes(source, play, runId)} />, {
		exitOnCtrlC: false,
	});
	await instance.waitUntilExit();
	return exitCode;
}
