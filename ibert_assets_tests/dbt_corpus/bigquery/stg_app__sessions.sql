with source as (

    select * from `acme-prod`.`app_raw`.`sessions`

),

renamed as (

    select
        session_id,
        user_id,
        cast(started_at as timestamp) as started_at,
        duration_seconds,
        device_type
    from source
    where session_id is not null

)

select * from renamed
