ALTER TABLE "calendar_events" ADD COLUMN "movedFromEventId" text;--> statement-breakpoint
ALTER TABLE "calendar_events" ADD COLUMN "movedFromStart" timestamp (3) with time zone;