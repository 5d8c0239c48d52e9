with customers as (
    select * from "ANALYTICS"."STAGING"."STG_SHOP__CUSTOMERS"
),

orders as (
    select * from "ANALYTICS"."INTERMEDIATE"."INT_ORDERS__PAID"
),

customer_orders as (
    select
        customer_id,
        count(*) as number_of_orders,
        sum(paid_amount) as lifetime_value
    from orders
    group by customer_id
),

final as (
    select
        md5(cast(coalesce(cast(customers.customer_id as TEXT), '_dbt_utils_surrogate_key_null_') as TEXT)) as customer_key,
        customers.customer_id,
        lower(customers.first_name) as first_name,
        split_part(customers.email, '@', 2) as email_domain,
        coalesce(customer_orders.number_of_orders, 0) as number_of_orders,
        coalesce(customer_orders.lifetime_value, 0) as lifetime_value,
        iff(customer_orders.number_of_orders > 1, 'repeat', 'new') as customer_type
    from customers
    left join customer_orders using (customer_id)
)

select * from final
