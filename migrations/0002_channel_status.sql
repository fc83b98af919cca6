CREATE TABLE `channel_reply_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`token` text NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `channel_reply_tokens_expires_at` ON `channel_reply_tokens` (`expires_at`);--> statement-breakpoint
CREATE TABLE `channel_status` (
	`channel` text NOT NULL,
	`account` text NOT NULL,
	`stopped_at` integer,
	`stopped_fingerprint` text,
	`last_inbound_at` integer,
	`last_outbound_at` integer,
	`last_error` text,
	`last_error_at` integer,
	`last_connected_at` integer,
	`last_disconnected_at` integer,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`channel`, `account`)
);
