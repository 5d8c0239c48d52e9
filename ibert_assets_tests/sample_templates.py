"""Small template files that tests write into a templates folder."""

# two families over one table: three variations of a filter, one grouped count
ORDERS_TEMPLATE = """\
description: Orders filtered by amount.
tables:
  orders: {id: int64, amount: "decimal(10, 2)", status: string}
families:
  - id: above
    description: "Orders above {value}"
    features: [where]
    sql: "SELECT id, amount FROM orders WHERE amount > {value}"
    ibis: "result = orders.filter(_.amount > {value}).select('id', 'amount')"
    variations:
      value: [10, 50, 200]
  - id: per_status
    description: "Number of orders per status"
    sql: "SELECT status, COUNT(*) AS n FROM orders GROUP BY status"
    ibis: "result = orders.group_by('status').agg(n=_.count())"
"""

# a second template with its own table, for tests that need two template partitions
CUSTOMERS_TEMPLATE = """\
description: Customers by age and city.
tables:
  customers: {id: int64, age: int64, city: string}
families:
  - id: older
    description: "Customers older than {value}"
    features: [where]
    sql: "SELECT id, city FROM customers WHERE age > {value}"
    ibis: "result = customers.filter(_.age > {value}).select('id', 'city')"
    variations:
      value: [18, 40, 65]
  - id: per_city
    description: "Number of customers per city"
    sql: "SELECT city, COUNT(*) AS n FROM customers GROUP BY city"
    ibis: "result = customers.group_by('city').agg(n=_.count())"
"""
