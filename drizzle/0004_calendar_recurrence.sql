ALTER TABLE "calendar_events" ADD COLUMN "recurrence" text;--> statement-breakpoint
ALTER TABLE "calendar_events" ADD COLUMN "timeZone" text;--> statement-breakpoint
ALTER TABLE "calendar_events" ADD COLUMN "excludedStarts" jsonb DEFAULT '[]'::jsonb NOT NULL;