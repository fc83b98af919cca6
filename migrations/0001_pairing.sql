CREATE TABLE `channel_pairing_approved` (
	`channel` text NOT NULL,
	`account` text NOT NULL,
	`sender_id` text NOT NULL,
	`username` text,
	`approved_at` integer NOT NULL,
	`approved_by` text NOT NULL,
	`code` text,
	`is_owner` integer DEFAULT 0 NOT NULL,
	`notice_state` text,
	`notice_message_id` text,
	`notice_attempts` integer DEFAULT 0 NOT NULL,
	`notice_error` text,
	`notice_at` integer,
	PRIMARY KEY(`channel`, `account`, `sender_id`)
);
--> statement-breakpoint
CREATE INDEX `channel_pairing_approved_code` ON `channel_pairing_approved` (`channel`,`code`);--> statement-breakpoint
CREATE TABLE `channel_pairing_requests` (
	`channel` text NOT NULL,
	`account` text NOT NULL,
	`sender_id` text NOT NULL,
	`code` text NOT NULL,
	`username` text,
	`display_name` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`notified_at` integer NOT NULL,
	PRIMARY KEY(`channel`, `account`, `sender_id`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `channel_pairing_requests_code` ON `channel_pairing_requests` (`channel`,`code`);--> statement-breakpoint
CREATE INDEX `channel_pairing_requests_expires` ON `channel_pairing_requests` (`channel`,`account`,`expires_at`);--> statement-breakpoint
CREATE TABLE `secrets` (
	`name` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL
);
