/**
 * Seeing the cloud: the management and provider networks with each node's address, provider interface and
 * roles, drawn from the profile; and after launch, the networks, routers and instances the cloud has (read
 * on the controller as admin; r reads again). Scrolls when the drawing is taller than the screen.
 */
import { Box, Text } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { isDone } from '../engine/types.js';
import { t } from '../i18n/index.js';
import { useAppActions, useSession } from '../ui/context.js';
import { theme } from '../ui/theme.js';
import { useKeyBindings } from '../ui/use-key-bindings.js';
import { useTerminalSize } from '../ui/use-terminal-size.js';
import type { ScreenProps } from './profile-picker.js';
import {
	type CloudTopology,
	type DrawLine,
	type DrawTone,
	drawCloud,
	drawPhysical,
	readCloudTopology,
} from './use-topology-state.js';
import { formatRanAt } from './use-verify-panel-state.js';

const TONE: Record<DrawTone, string> = {
	management: theme.topology.management,
	provider: theme.topology.provider,
	node: theme.topology.node,
	cloud: theme.topology.cloud,
	muted: theme.text.muted,
	heading: theme.text.heading,
	error: theme.text.error,
};

type CloudRead = { status: 'idle' } | { status: 'reading' } | { status: 'done'; cloud: CloudTopology };

export function TopologyScreen({ isActive, height }: ScreenProps) {
	const { engine } = useSession();
	const actions = useAppActions();
	const { columns } = useTerminalSize();
	const [cloud, setCloud] = useState<CloudRead>({ status: 'idle' });
	const [top, setTop] = useState(0);
	const mounted = useRef(true);
	useEffect(
		() => () => {
			mounted.current = false;
		},
		[],
	);

	const readCloud = () => {
		if (cloud.status === 'reading') return;
		setCloud({ status: 'reading' });
		void readCloudTopology(engine).then((result) => {
			if (mounted.current) setCloud({ status: 'done', cloud: result });
		});
	};

	// After launch (any step of the launch section done), read the cloud when the view opens.
	const launched = engine.runbook.sections
		.filter((s) => s.id.startsWith('launch'))
		.some((s) => engine.stepsOf(s.id).some((p) => isDone(engine.stepStatus(p.key) as never)));
	const opened = useRef(false);
	// biome-ignore lint/correctness/useExhaustiveDependencies: once, when the view opens
	useEffect(() => {
		if (opened.current) return;
		opened.current = true;
		if (launched) readCloud();
	}, []);

	const lines: DrawLine[] = [
		[{ text: t('topo.physical'), tone: 'heading' }],
		...drawPhysical(engine.profile, columns),
		[{ text: ' ' }],
		[{ text: t('topo.cloud'), tone: 'heading' }],
	];
	if (cloud.status === 'idle') lines.push([{ text: t('topo.cloudIdle'), tone: 'muted' }]);
	else if (cloud.status === 'reading') lines.push([{ text: t('topo.reading'), tone: 'muted' }]);
	else {
		lines.push([
			{
				text: t('topo.readAt', { when: formatRanAt(new Date(cloud.cloud.readAt).toISOString(), Date.now()) }),
				tone: 'muted',
			},
		]);
		lines.push(...drawCloud(cloud.cloud, columns));
	}

	const windowHeight = Math.max(3, height - 1);
	const maxTop = Math.max(0, lines.length - windowHeight);
	const scroll = (delta: number) =>
		setTop((current) => Math.min(Math.max(0, Math.min(current, maxTop) + delta), maxTop));
	useKeyBindings(
		'topology',
		{
			'scroll-up': () => scroll(-1),
			'scroll-down': () => scroll(1),
			'page-up': () => scroll(-(windowHeight - 1)),
			'page-down': () => scroll(windowHeight - 1),
			'read-cloud': () => readCloud(),
			back: () => actions.back(),
			help: () => actions.showHelp('topology'),
			quit: () => actions.quit(),
		},
		{ isActive },
	);
	const start = Math.min(top, maxTop);
	const visible = lines.slice(start, start + windowHeight);

	return (
		<Box flexDirection="column">
			<Text bold wrap="truncate-end">
				{t('topo.title', { profile: engine.profile.name, option: engine.profile.network.option })}
				{lines.length > windowHeight ? (
					<Text color={theme.text.muted}>
						{'  '}
						{t('topo.range', { from: start + 1, to: start + visible.length, total: lines.length })}
					</Text>
				) : null}
			</Text>
			{visible.map((line, i) => (
				// biome-ignore lint/suspicious/noArrayIndexKey: positional lines of the drawing
				<Text key={start + i} wrap="truncate-end">
					{line.map((part, j) => (
						// biome-ignore lint/suspicious/noArrayIndexKey: positional segments
						<Text key={j} color={part.tone ? TONE[part.tone] : undefined}>
							{part.text}
						</Text>
					))}
				</Text>
			))}
		</Box>
	);
}
