Feature: Receipt of a transferred matter and objection to it (签收与异议)
  The unit a matter is transferred to signs for it. If the matter is not theirs, they object with
  detailed reasons within 5 working days of receipt (《信访工作条例》 art. 23): weekends and statutory
  holidays do not count, a 调休 working Saturday or Sunday does.

  Background:
    Given the organisation of 哈密市 and 伊州区 as on file
    And 伊州区信访局 registered case A on 2025-09-24
    And 伊州区信访局 transferred case A to 伊州区住房和城乡建设局 on 2025-09-25

  Rule: The receiving unit signs for the matter

    Scenario: The housing bureau signs for the matter
      When 伊州区住房和城乡建设局 signs for case A on 2025-09-26
      Then case A stands at "已签收待受理"
      And case A is with 伊州区住房和城乡建设局

    Scenario: A unit the matter was not sent to cannot sign for it
      When 伊州区人力资源和社会保障局 signs for case A on 2025-09-26
      Then the step is refused with "actor.not_holder"
      And nothing was recorded

  Rule: An objection is raised within 5 working days of receipt

    Scenario: An objection across the National Day holiday of 2025 is in time
      Given 伊州区住房和城乡建设局 signed for case A on 2025-09-30
      When 伊州区住房和城乡建设局 objects to case A on 2025-10-14: "该事项属于人力资源和社会保障部门职责"
      Then case A stands at "异议处理中"
      And the objection on case A was due by 2025-10-14

    Scenario: An objection after the National Day holiday window is refused
      Given 伊州区住房和城乡建设局 signed for case A on 2025-09-30
      When 伊州区住房和城乡建设局 objects to case A on 2025-10-15: "该事项属于人力资源和社会保障部门职责"
      Then the step is refused with "objection.too_late"
      And nothing was recorded

    Scenario: The working Sunday of 28 September 2025 (调休) counts as a working day
      Given 伊州区住房和城乡建设局 signed for case A on 2025-09-26
      When 伊州区住房和城乡建设局 objects to case A on 2025-10-10: "该事项属于人力资源和社会保障部门职责"
      Then case A stands at "异议处理中"
      And the objection on case A was due by 2025-10-10

    Scenario: An objection on the working Saturday after the window closed is refused
      Given 伊州区住房和城乡建设局 signed for case A on 2025-09-26
      When 伊州区住房和城乡建设局 objects to case A on 2025-10-11: "该事项属于人力资源和社会保障部门职责"
      Then the step is refused with "objection.too_late"
      And nothing was recorded

  Rule: The transferring bureau decides the objection

    Scenario: The objection is upheld and the matter returns to the bureau
      Given 伊州区住房和城乡建设局 signed for case A on 2025-09-26
      And 伊州区住房和城乡建设局 objected to case A on 2025-09-29: "该事项属于人力资源和社会保障部门职责"
      When 伊州区信访局 upholds the objection on case A on 2025-09-30
      Then case A stands at "已登记待分流"
      And case A is with 伊州区信访局

    Scenario: The objection is rejected and the housing bureau keeps the matter
      Given 伊州区住房和城乡建设局 signed for case A on 2025-09-26
      And 伊州区住房和城乡建设局 objected to case A on 2025-09-29: "该事项属于人力资源和社会保障部门职责"
      When 伊州区信访局 rejects the objection on case A on 2025-09-30
      Then case A stands at "已签收待受理"
      And case A is with 伊州区住房和城乡建设局

    Scenario: The objecting unit cannot decide its own objection
      Given 伊州区住房和城乡建设局 signed for case A on 2025-09-26
      And 伊州区住房和城乡建设局 objected to case A on 2025-09-29: "该事项属于人力资源和社会保障部门职责"
      When 伊州区住房和城乡建设局 upholds the objection on case A on 2025-09-30
      Then the step is refused with "actor.not_transferring_bureau"
      And nothing was recorded
