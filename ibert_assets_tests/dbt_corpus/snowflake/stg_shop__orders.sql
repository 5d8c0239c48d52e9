with source as (

    select * from "RAW"."SHOP"."ORDERS"

),

renamed as (

    select
        id as order_id,
        customer_id,
        status as order_status,
        amount_cents / 100.0 as amount,
        created_at::date as ordered_on,
        _loaded_at
    from source

)

select * from renamed
