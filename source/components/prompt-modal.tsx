/**
 * Questions from the SSH layer, rendered as a modal: an unknown host key (type and SHA256 fingerprint, to
 * compare with `ssh-keygen -lf` on the node) or a password/passphrase (masked; never shown or stored).
 */
import { Box, Text } from 'ink';
import { useState } from 'react';
import type { Prompt, PromptQueue } from '../engine/prompts.js';
import { theme } from '../ui/theme.js';
import { useKeyBindings } from '../ui/use-key-bindings.js';
import { TextField } from './text-field.js';

type HostKeyPrompt = Extract<Prompt, { kind: 'host-key' }>;
type SecretPrompt = Extract<Prompt, { kind: 'secret' }>;

const SECRET_TITLES: Record<SecretPrompt['secret'], string> = {
	passphrase: 'Key passphrase',
	password: 'SSH password',
	'sudo-password': 'sudo password',
};

export function HostKeyModal({
	prompt,
	queue,
	isActive,
}: {
	prompt: HostKeyPrompt;
	queue: PromptQueue;
	isActive: boolean;
}) {
	useKeyBindings('host-key', { yes: () => queue.answer(true), no: () => queue.answer(false) }, { isActive });
	return (
		<Box flexDirection="column" borderStyle="round" borderColor={theme.border.modal} paddingX={1}>
			<Text bold color={theme.text.warning}>
				Unknown host key for {prompt.node} ({prompt.host}:{prompt.port})
			</Text>
			<Text>
				<Text color={theme.text.muted}>{'key type'.padEnd(13)}</Text>
				{prompt.keyType}
			</Text>
			<Text>
				<Text color={theme.text.muted}>{'fingerprint'.padEnd(13)}</Text>
				<Text color={theme.text.accent}>{prompt.fingerprint}</Text>
			</Text>
			<Text color={theme.text.muted} wrap="wrap">
				Compare it with `ssh-keygen -lf` of the host keys in /etc/ssh on the node before trusting it.
			</Text>
			<Text>
				<Text color={theme.text.accent}>y</Text>
				<Text> trust and remember{'    '}</Text>
				<Text color={theme.text.accent}>n/esc</Text>
				<Text> refuse (the connection fails)</Text>
			</Text>
		</Box>
	);
}

export function SecretModal({
	prompt,
	queue,
	isActive,
}: {
	prompt: SecretPrompt;
	queue: PromptQueue;
	isActive: boolean;
}) {
	const [value, setValue] = useState('');
	useKeyBindings(
		'secret',
		{
			submit: () => queue.answer(value),
			dismiss: () => queue.answer(undefined),
			'delete-char': () => setValue((v) => v.slice(0, -1)),
			'clear-field': () => setValue(''),
		},
		{
			isActive,
			onText: (text) => {
				setValue((v) => v + text);
				return true;
			},
		},
	);
	return (
		<Box flexDirection="column" borderStyle="round" borderColor={theme.border.modal} paddingX={1}>
			<Text bold color={theme.text.warning}>
				{SECRET_TITLES[prompt.secret]} for {prompt.node}
			</Text>
			<Text wrap="wrap">{prompt.message}</Text>
			<Box>
				<Text color={theme.text.muted}>{'> '}</Text>
				<TextField value={value} focused masked />
			</Box>
			<Text color={theme.text.muted}>enter send · esc refuse · what you type is shown as •</Text>
		</Box>
	);
}
