/**
 * The command table: name, one-line summary and a lazy loader, so `os-console --help` lists every command
 * and starting the TUI does not load the headless commands' code. Each module exports
 * `run(argv: string[]): Promise<number>` (the exit code) and `usage: string`.
 */
export interface CommandModule {
	run(argv: string[]): Promise<number>;
	usage: string;
}

export interface CommandEntry {
	name: string;
	summary: string;
	load(): Promise<CommandModule>;
}

export const COMMANDS: CommandEntry[] = [
	{ name: 'console', summary: 'open the interactive console (the default)', load: () => import('./console.js') },
	{ name: 'run', summary: 'run steps headless, with line-prefixed output per node', load: () => import('./run.js') },
	{ name: 'doctor', summary: 'preflight checks of every node before installing', load: () => import('./doctor.js') },
	{ name: 'status', summary: 'print the checklist state of a profile', load: () => import('./status.js') },
	{
		name: 'replay',
		summary:
			'replay a past run from the journal: events with their timing, output, outcome (in the console on a terminal)',
		load: () => import('./replay.js'),
	},
	{ name: 'profiles', summary: 'list saved profiles and the example profiles', load: () => import('./profiles.js') },
	{
		name: 'plan',
		summary: 'print what would run: each step, node, action and script (secrets masked)',
		load: () => import('./plan.js'),
	},
	{
		name: 'export',
		summary: 'write the runbook as files to run without the console (--format bash or ansible)',
		load: () => import('./export.js'),
	},
	{
		name: 'secrets',
		summary: "list the profile's secrets by name; --reveal NAME, --set NAME (value from stdin)",
		load: () => import('./secrets.js'),
	},
	{
		name: 'openrc',
		summary: 'fetch admin-openrc and demo-openrc from the controller (written 0600)',
		load: () => import('./openrc.js'),
	},
	{
		name: 'verify',
		summary: "run the install guide's verification checks and judge their output",
		load: () => import('./verify.js'),
	},
	{
		name: 'launch',
		summary: 'launch an instance: networks, flavor, key pair, rules, server (each only if absent)',
		load: () => import('./launch.js'),
	},
];
