/** Helpers the SSH session tests share: a command's output collected, and the SshError a promise rejects with. */
import { expect } from 'vitest';
import { SshError } from '../../source/ssh/errors.js';
import type { NodeSession } from '../../source/ssh/node-session.js';

/** Runs a command on the session (with stdin when given) and returns its result with stdout and stderr as text. */
export async function execCollected(session: NodeSession, command: string, stdin?: string) {
	let out = '';
	let err = '';
	const result = await session.exec(command, {
		...(stdin === undefined ? {} : { stdin }),
		onStdout: (chunk) => {
			out += chunk.toString();
		},
		onStderr: (chunk) => {
			err += chunk.toString();
		},
	});
	return { ...result, out, err };
}

/** The SshError that `pending` rejects with; fails the test when it resolves or rejects with anything else. */
export async function sshRejection(pending: Promise<unknown>): Promise<SshError> {
	try {
		await pending;
	} catch (error) {
		expect(error).toBeInstanceOf(SshError);
		return error as SshError;
	}
	throw new Error('expected a rejection');
}
