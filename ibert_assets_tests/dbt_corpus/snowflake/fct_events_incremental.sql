with events as (
    select * from "RAW"."TRACKING"."EVENTS"
),

deduplicated as (
    select
        event_id,
        user_id,
        event_name,
        received_at
    from events
    where received_at > (select coalesce(max(received_at), '1900-01-01'::timestamp) from "ANALYTICS"."MARTS"."FCT_EVENTS_INCREMENTAL")
    qualify row_number() over (partition by event_id order by received_at desc) = 1
)

select
    md5(cast(coalesce(cast(event_id as TEXT), '_dbt_utils_surrogate_key_null_') || '-' || coalesce(cast(user_id as TEXT), '_dbt_utils_surrogate_key_null_') as TEXT)) as event_key,
    event_id,
    user_id,
    lower(event_name) as event_name,
    received_at
from deduplicated
